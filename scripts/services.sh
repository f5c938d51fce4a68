#!/usr/bin/env bash
# Starts the local Postgres and Redis when they do not answer yet.
# Only touches services on this machine (127.0.0.1 / localhost); remote URLs are left alone.
set -euo pipefail

host_port() { # URL default_port -> "host port"
  node -e 'const u = new URL(process.argv[1]); console.log(u.hostname, u.port || process.argv[2])' "$1" "$2"
}
is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }
wait_until() { # seconds command...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep 0.5
  done
}

read -r PG_HOST PG_PORT <<<"$(host_port "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/herald}" 5432)"
read -r REDIS_HOST REDIS_PORT <<<"$(host_port "${REDIS_URL:-redis://127.0.0.1:6379}" 6379)"

if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; then
  if is_local "$PG_HOST" && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    wait_until 30 pg_isready -h "$PG_HOST" -p "$PG_PORT" -q || { echo "services: PostgreSQL did not come up on $PG_HOST:$PG_PORT" >&2; exit 1; }
  else
    echo "services: PostgreSQL does not answer on $PG_HOST:$PG_PORT (start it, or set DATABASE_URL)" >&2; exit 1
  fi
fi

if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
  if is_local "$REDIS_HOST" && command -v redis-server >/dev/null; then
    echo "services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
    wait_until 30 bash -c "redis-cli -h '$REDIS_HOST' -p '$REDIS_PORT' ping | grep -q PONG" || { echo "services: Redis did not come up on $REDIS_HOST:$REDIS_PORT" >&2; exit 1; }
  else
    echo "services: Redis does not answer on $REDIS_HOST:$REDIS_PORT (start it, or set REDIS_URL)" >&2; exit 1
  fi
fi
echo "services: PostgreSQL $PG_HOST:$PG_PORT and Redis $REDIS_HOST:$REDIS_PORT are up"
