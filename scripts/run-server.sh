#!/usr/bin/env bash
# Run the bot's server. Rasa's HTTP API (/model, /conversations, ...) stays off unless
# BOT_ENABLE_API=1, and then only with a token from the environment:
#
#   scripts/run-server.sh                                   # channels only
#   BOT_ENABLE_API=1 RASA_AUTH_TOKEN=... scripts/run-server.sh
#
# Extra arguments go to `rasa run` (e.g. --port 5006 --endpoints endpoints.scale.yml).
set -euo pipefail
cd "$(dirname "$0")/.."

args=(--credentials credentials.yml)
if [ "${BOT_ENABLE_API:-0}" = 1 ]; then
    if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
        echo "BOT_ENABLE_API=1 needs RASA_AUTH_TOKEN in the environment; refusing an open API" >&2
        exit 2
    fi
    args+=(--enable-api --auth-token "$RASA_AUTH_TOKEN")
fi
# bot.cli.rasa is `rasa` with a lighter start-up (see its docstring)
exec "${VENV:-.venv}/bin/python" -m bot.cli.rasa run "${args[@]}" "$@"
