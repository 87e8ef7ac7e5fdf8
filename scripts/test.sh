#!/usr/bin/env bash
# Install the test dependencies, then run the whole suite (SQLite and PostgreSQL, browser tests).
# PostgreSQL is expected at ANJIE_TEST_POSTGRES_URL
# (default postgresql+psycopg://postgres@127.0.0.1:5432/test); a missing server fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/mypy          # strict on engine/ (settings in pyproject.toml)
exec .venv/bin/python -m pytest "$@"
