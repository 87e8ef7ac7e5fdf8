#!/usr/bin/env bash
# Install Anjie into .venv (Python packages from pyproject.toml, bpmn-js from npm).
# Usage: scripts/setup.sh [test]   — "test" adds the test tools and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "test" ]; then
    .venv/bin/python -m pip install --quiet -e '.[test]'
else
    .venv/bin/python -m pip install --quiet -e .
fi

# bpmn-js for the case page diagrams: pinned by package-lock.json, copied into
# webapp/static/vendor by the postinstall script (nothing minified is committed).
if [ ! -d node_modules/bpmn-js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "test" ] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "WenQuanYi"; }; then
    # Browser tests drive Debian's chromium through Playwright (never a downloaded
    # browser); the WenQuanYi font draws the Chinese pages and screenshots.
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
