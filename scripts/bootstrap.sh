#!/usr/bin/env bash
# Create .venv and install vendorcheck into it. Idempotent: a second run installs nothing.
# torch is installed first, pinned to the CPU build (2.13.0) so that sentence-transformers
# never pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.vendorcheck-installed
want="$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "Setting up .venv (first run takes a few minutes; log: .venv/install.log)..." >&2
pip_install() {
  if ! .venv/bin/python -m pip install --disable-pip-version-check "$@" >>.venv/install.log 2>&1; then
    tail -n 30 .venv/install.log >&2
    echo "bootstrap: pip install $* failed; full log in .venv/install.log" >&2
    exit 1
  fi
}
: > .venv/install.log
pip_install --upgrade pip
pip_install torch==2.13.0
pip_install -e ".[test]"
echo "$want" > "$stamp"
