# syntax=docker/dockerfile:1
# The portal's production image: gunicorn by default; the same image runs the Celery worker and
# beat with another command (see docker-compose.yml and docs/operations.md).
FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.9

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3.11 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=anef.settings.base \
    STATIC_ROOT=/app/staticfiles

# WeasyPrint needs Pango and HarfBuzz (without libharfbuzz-subset0 every PDF renders about 3x
# slower); gettext provides msgfmt for compilemessages; DejaVu is a fallback font for the PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY . .

# Translations and static files are built into the image. Settings refuse to load without a
# SECRET_KEY when DEBUG is off, so these steps get a dummy key that exists only for this RUN: it is
# not an ENV and is not in the final image. `mkdir -p locale` because git does not keep an empty
# locale/ folder and compilemessages refuses to run without one.
RUN mkdir -p locale var/media \
 && DEBUG=0 SECRET_KEY=build-only-dummy-key-never-used-at-run-time ALLOWED_HOSTS=localhost \
      python manage.py compilemessages -v0 \
 && DEBUG=0 SECRET_KEY=build-only-dummy-key-never-used-at-run-time ALLOWED_HOSTS=localhost \
      python manage.py collectstatic --noinput -v0 \
 && python -m compileall -q -x '/(var|staticfiles)/' .

# Run as an unprivileged user. The code stays owned by root (read-only to the app); only var/
# (uploaded and issued files under var/media when no S3_BUCKET is set, and the embedded default's
# files) is writable.
RUN groupadd --system --gid 10001 anef \
 && useradd --system --uid 10001 --gid anef --create-home --home-dir /home/anef \
      --shell /usr/sbin/nologin anef \
 && chown -R anef:anef /app/var
USER anef

EXPOSE 8000

# /readyz answers 200 when the database, the cache and the file store answer, 503 otherwise (an
# orchestrator's liveness probe is /livez, which checks only the process). The probe sends the
# first ALLOWED_HOSTS entry as Host, so it passes Django's host check in any deployment.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.Request('http://127.0.0.1:8000/readyz', headers={'Host': h}); sys.exit(0 if u.urlopen(r, timeout=4).status == 200 else 1)"]

# Two sync workers for the two cores of the machine class: pages are CPU-bound, and measured there
# 2 sync workers do as well as 4 (docs/operations.md). /dev/shm keeps gunicorn's worker heartbeat
# files off the container's overlay filesystem.
CMD ["gunicorn", "anef.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", \
     "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
