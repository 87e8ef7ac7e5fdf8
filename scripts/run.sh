#!/usr/bin/env bash
# Install, then start the web app with its scheduler on SQLite, with demo data; prints the URL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/anjie serve --demo "$@"
