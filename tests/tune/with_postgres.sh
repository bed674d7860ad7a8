#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server: initdb and pg_ctl in a temp folder, as
# an unprivileged user (postgres refuses to run as root: under root the server runs as
# `nobody`), listening only on 127.0.0.1 at a free port, trust authentication. The command sees
# BOG_TEST_POSTGRES_URL. Exit 77 (ctest: skipped) when Debian's postgresql is not installed.
set -euo pipefail
# Debian's pg_config (libpq-dev) names the server's bindir.
bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "SKIPPED: no PostgreSQL server (apt-get install postgresql, or scripts/deps.sh); the PostgreSQL tuning tests did not run"
  exit 77
fi
tmp=$(mktemp -d -t bog-pg.XXXXXX)
chmod 755 "$tmp"
as_user=()
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  user=nobody
  chown nobody "$tmp"
  as_user=(runuser -u nobody --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  echo $((20000 + RANDOM % 20000)))
cleanup() {
  "${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"${as_user[@]}" "$bindir/initdb" -D "$tmp/data" -U "$user" --auth=trust -E UTF8 >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log"; exit 1; }
"${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c max_connections=60" start >/dev/null ||
  { cat "$tmp/server.log"; exit 1; }
echo "with_postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (user $user)"
export BOG_TEST_POSTGRES_URL="postgresql://$user@127.0.0.1:$port/postgres"
"$@"
