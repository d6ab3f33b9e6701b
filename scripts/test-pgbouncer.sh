#!/usr/bin/env bash
# `make test-pgbouncer`: the main paths of the test suite (filing, booking, certificates,
# issued documents, exports, the queue, statistics, the outbox, real workers) through PgBouncer in
# transaction mode, as production runs (docs/deployment.md). Starts its own PgBouncer (the Debian
# package) on PGBOUNCER_PORT with a configuration written to a temporary folder, and stops it after.
#
# A subset, not the whole suite: the whole suite takes ~7 minutes and already runs on a direct
# connection; these files exercise every kind of database work the portal does (row locks, SKIP
# LOCKED, conditional updates, constraints, keyset batches, transactions committed by real worker
# processes and threads). Left out: the upload checks (file contents, no database work), the browser
# journeys (the same views, slower), and the read-replica test, whose read-only replica connection
# needs a startup parameter PgBouncer does not pass on.
#
# The test database is made (and migrated) on a direct connection, as PgBouncer keeps server
# connections open and would stop pytest-django from dropping it; the tests then reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_HOST="${PG_HOST:-127.0.0.1}" PG_PORT="${PG_PORT:-5432}"
PGBOUNCER_PORT="${PGBOUNCER_PORT:-6543}"
DB="${PGBOUNCER_TEST_DB:-anef_pgbouncer}"
SUBSET=(
  tests/applications/test_filing.py tests/applications/test_filing_concurrency.py
  tests/applications/test_certificates.py
  tests/applications/test_certificates_concurrency.py tests/applications/test_decision_concurrency.py
  tests/appointments/test_bookings.py tests/appointments/test_concurrency.py
  tests/backoffice/test_exports.py tests/backoffice/test_queue.py tests/backoffice/test_statistics.py
  tests/documents/test_issue_and_render.py tests/documents/test_letter_batch_concurrency.py
  tests/notifications/test_claim_concurrency.py tests/anef/test_tasks.py tests/core/test_object_storage.py
)

dir="$(mktemp -d)"
chmod 755 "$dir"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$PG_HOST port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
; psycopg sends none of these by default; listed so that a client that does is not refused.
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
echo '"postgres" ""' >"$dir/userlist.txt"
as_user=()
if [ "$(id -u)" = 0 ]; then  # PgBouncer refuses to run as root
  chown -R postgres "$dir"
  as_user=(-u postgres)
fi
pgbouncer -d "${as_user[@]}" "$dir/pgbouncer.ini"
stop() {
  [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
  sleep 1
  psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS test_$DB WITH (FORCE)" >/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p "$PGBOUNCER_PORT" -q && break; sleep 0.5; done

psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
  || psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DB"
psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS test_$DB WITH (FORCE)" >/dev/null
echo "Creating the test database on a direct connection"
DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/$DB" .venv/bin/pytest -q -p no:cacheprovider --create-db --reuse-db \
  tests/core/test_enqueue.py >/dev/null

echo "The main paths through PgBouncer (transaction mode) on 127.0.0.1:$PGBOUNCER_PORT"
DATABASE_URL="postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$DB" DATABASE_TRANSACTION_POOLING=1 \
  DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest -p no:cacheprovider --reuse-db -q "${SUBSET[@]}" "$@"
