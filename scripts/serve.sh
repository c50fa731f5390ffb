#!/usr/bin/env bash
# Start what a site owner needs on this machine: `rasa run` with every channel in
# credentials.yml (REST, socket.io, ...) and a static server for the widget's demo page.
# Both listen on 127.0.0.1 only. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=127.0.0.1
RASA_PORT=${RASA_PORT:-5005}
WEB_PORT=${WEB_PORT:-8080}
BIN=${VENV:-.venv}/bin
MODEL=${MODEL:-models}  # a model file, or the directory whose latest model is used
# pages allowed to open a socket to the bot (bot/channels/socketio.py)
export CHAT_WIDGET_ORIGINS=${CHAT_WIDGET_ORIGINS:-http://$HOST:$WEB_PORT,http://localhost:$WEB_PORT}

"$BIN/python" -m http.server --bind "$HOST" --directory web "$WEB_PORT" >/dev/null 2>&1 &
web_pid=$!
trap 'kill "$web_pid" 2>/dev/null || true' EXIT INT TERM

demo="http://$HOST:$WEB_PORT/demo/"
[ "$RASA_PORT" = 5005 ] || demo="$demo?server=http://$HOST:$RASA_PORT"
echo "Demo page:   $demo   (ready once Rasa says 'Rasa server is up and running')"
echo "Rasa server: http://$HOST:$RASA_PORT   (REST: /webhooks/rest/webhook, socket.io: /socket.io)"
"$BIN/python" -m bot.cli.rasa run --model "$MODEL" --interface "$HOST" --port "$RASA_PORT" \
    --credentials credentials.yml --endpoints endpoints.yml
