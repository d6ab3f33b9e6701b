#!/usr/bin/env bash
# `make run`: the portal on its embedded default, with a real Celery worker and beat beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
export DEBUG="${DEBUG:-1}"
mkdir -p var/log
.venv/bin/celery -A anef worker --beat --concurrency 1 --loglevel INFO \
  --schedule var/celerybeat-schedule --logfile var/log/celery.log &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM
echo "Celery worker and beat running (log: var/log/celery.log)."
echo "Portal: http://127.0.0.1:${PORT}/  (Ctrl+C to stop)"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
