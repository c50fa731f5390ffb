#!/usr/bin/env bash
# Start or stop a private PostgreSQL and Redis on loopback, with their data in DIR.
#
#   scripts/services.sh start DIR PG_PORT REDIS_PORT   # needs POSTGRES_PASSWORD, REDIS_PASSWORD
#   scripts/services.sh stop DIR
#
# PostgreSQL refuses to run as root, so under root it runs as the `postgres` user
# the Debian package creates. The password comes from the environment only.
set -euo pipefail

cmd=${1:?usage: services.sh start|stop DIR [PG_PORT REDIS_PORT]}
dir=$(realpath -m "${2:?data dir}")
pg_bin=$(dirname "$(compgen -G "/usr/lib/postgresql/*/bin/postgres" | sort -V | tail -1)")

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
    pg_port=${3:?postgres port}
    redis_port=${4:?redis port}
    : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
    mkdir -p "$dir/pg" "$dir/redis"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir" "$dir/pg" && chmod 755 "$dir"
    pwfile=$(mktemp "$dir/pw.XXXXXX")
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
    as_pg "$pg_bin/initdb" -D "$dir/pg/data" -U rasa --pwfile="$pwfile" \
        --auth=scram-sha-256 -E UTF8 >"$dir/pg/initdb.log"
    rm -f "$pwfile"
    as_pg "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/pg -c fsync=off" >/dev/null
    # the password goes in a private config file, not on the command line
    (umask 077 && printf 'requirepass "%s"\n' "$REDIS_PASSWORD" >"$dir/redis/redis.conf")
    redis-server "$dir/redis/redis.conf" --bind 127.0.0.1 --port "$redis_port" \
        --dir "$dir/redis" --daemonize yes --pidfile "$dir/redis/redis.pid" \
        --logfile "$dir/redis/redis.log" --save "" --appendonly no
    for _ in $(seq 50); do
        REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null \
            | grep -q PONG && exit 0
        sleep 0.1
    done
    echo "redis did not start" >&2
    exit 1
    ;;
stop)
    if [ -f "$dir/redis/redis.pid" ]; then
        kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
    fi
    if [ -d "$dir/pg/data" ]; then
        as_pg "$pg_bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "unknown command: $cmd" >&2
    exit 2
    ;;
esac
