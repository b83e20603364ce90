#!/usr/bin/env bash
# The main job: set up, index corpus/, answer the sample question, then start the Slack bot
# if tokens are configured in .env (otherwise say which are missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"
exec .venv/bin/vendorcheck start "$@"
