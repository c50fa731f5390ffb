#!/usr/bin/env bash
# Start what a site owner needs on this machine: `rasa run` with every channel in
# credentials.yml (REST, socket.io, ...) and the widget's demo page (built first when
# missing or out of date), served under a strict Content-Security-Policy
# (scripts/demo_server.py). Both listen on 127.0.0.1 only. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=127.0.0.1
RASA_PORT=${RASA_PORT:-5005}
WEB_PORT=${WEB_PORT:-8080}
BIN=${VENV:-.venv}/bin
MODEL=${MODEL:-models}  # a model file, or the directory whose latest model is used
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
# pages allowed to open a socket to the bot (bot/channels/socketio.py)
export CHAT_WIDGET_ORIGINS=${CHAT_WIDGET_ORIGINS:-http://$HOST:$WEB_PORT,http://localhost:$WEB_PORT}

make --no-print-directory -s widget  # a no-op when web/dist is up to date

"$BIN/python" scripts/demo_server.py --host "$HOST" --port "$WEB_PORT" &
web_pid=$!
trap 'kill "$web_pid" 2>/dev/null || true' EXIT INT TERM

demo="http://$HOST:$WEB_PORT/demo/"
[ "$RASA_PORT" = 5005 ] || demo="$demo?server=http://$HOST:$RASA_PORT"
echo "Demo page:   $demo   (ready once Rasa says 'Rasa server is up and running')"
echo "Rasa server: http://$HOST:$RASA_PORT   (REST: /webhooks/rest/webhook, socket.io: /socket.io)"
"$BIN/python" -m bot.cli.rasa run --model "$MODEL" --interface "$HOST" --port "$RASA_PORT" \
    --credentials credentials.yml --endpoints "$ENDPOINTS"
