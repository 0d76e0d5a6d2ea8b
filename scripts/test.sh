#!/usr/bin/env bash
# Install the test dependencies into ./.venv and run the whole test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k groups -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The store tests start a throwaway PostgreSQL server, so they need its binaries.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's postgresql package for the PostgreSQL tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL server binaries not found: install Debian's postgresql package," \
         "or the PostgreSQL tests are skipped." >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
