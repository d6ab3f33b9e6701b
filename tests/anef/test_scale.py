"""What lets the portal run on many nodes, checked in one process: the probes an orchestrator
uses, the settings that switch on object storage, PgBouncer's transaction mode, the read replica
and the single scheduler, and whitenoise's long cache of hashed static files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.config import Config
from django.core.management import call_command
from django.db import connection
from django.test import Client

from anef import health
from anef.settings.storage import s3_storage_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_liveness_answers_without_looking_at_anything_outside_the_process(client, monkeypatch):
    monkeypatch.setattr(health, "database_ok", lambda: False)
    response = client.get("/livez")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_is_ok_when_database_cache_and_storage_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.django_db
def test_readiness_names_the_database_when_it_does_not_answer(client, monkeypatch):
    monkeypatch.setattr(health, "database_ok", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"not ready: database"


@pytest.mark.django_db
def test_readiness_names_the_cache_when_redis_does_not_answer(client, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    monkeypatch.setattr(health, "cache", RedisCache("redis://127.0.0.1:9/0", {}))  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"not ready: cache"


@pytest.mark.django_db
def test_readiness_names_the_storage_when_the_object_store_does_not_answer(client, settings):
    config = s3_storage_config(bucket="nowhere", endpoint_url="http://127.0.0.1:9", region="us-east-1",
                               access_key="x", secret_key="y", addressing_style="path")
    config["OPTIONS"]["client_config"] = Config(retries={"max_attempts": 1}, connect_timeout=1)
    settings.STORAGES = {**settings.STORAGES, "default": config}
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"not ready: storage"


def settings_under(**env: str) -> dict:
    """The base settings as a process with these environment variables loads them."""
    script = (
        "import json; from anef.settings import base as s; print(json.dumps({"
        "'databases': s.DATABASES, 'routers': s.DATABASE_ROUTERS, 'storage': s.STORAGES['default'], "
        "'beat': getattr(s, 'CELERY_BEAT_SCHEDULER', None), 'lock': getattr(s, 'CELERY_REDBEAT_LOCK_TIMEOUT', None)},"
        " default=str))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "S3_", "AWS_"))}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**keep, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "anef.settings.base", **env})
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_servers_files_stay_on_disk_and_beat_keeps_its_local_schedule():
    loaded = settings_under()
    assert loaded["storage"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert loaded["databases"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert set(loaded["databases"]) == {"default"}
    assert loaded["beat"] is None  # Celery's own file-based scheduler (make run)


def test_the_production_shape_switches_on_from_the_environment():
    loaded = settings_under(
        DATABASE_URL="postgres://anef@pgbouncer:6432/anef", DATABASE_TRANSACTION_POOLING="1",
        DATABASE_REPLICA_URL="postgres://anef@replica:5432/anef", REDIS_URL="redis://redis:6379/0",
        S3_BUCKET="anef-files", S3_ENDPOINT_URL="https://s3.example", S3_REGION="fr-par")
    default, replica = loaded["databases"]["default"], loaded["databases"]["replica"]
    for database in (default, replica):
        assert database["DISABLE_SERVER_SIDE_CURSORS"] is True  # no cursor outlives a transaction
        assert database["OPTIONS"]["prepare_threshold"] is None  # psycopg prepares nothing
    assert replica["HOST"] == "replica" and replica["TEST"] == {"MIRROR": "default"}
    assert loaded["routers"] == ["core.replica.ReplicaRouter"]
    options = loaded["storage"]["OPTIONS"]
    assert loaded["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "anef-files" and options["endpoint_url"] == "https://s3.example"
    assert options["default_acl"] is None and options["querystring_expire"] == 60
    assert loaded["beat"] == "redbeat.RedBeatScheduler" and loaded["lock"] == 150


def test_a_direct_postgresql_connection_prepares_statements_and_keeps_cursors():
    default = settings_under(DATABASE_URL="postgres://anef@db:5432/anef")["databases"]["default"]
    assert "DISABLE_SERVER_SIDE_CURSORS" not in default
    assert default["OPTIONS"]["server_side_binding"] is True  # parameters bound by the server
    assert default["OPTIONS"]["prepare_threshold"] == 5  # and a statement planned once, not per run


def test_prepared_statements_can_be_switched_off():
    default = settings_under(DATABASE_URL="postgres://anef@db:5432/anef",
                             DATABASE_PREPARED_STATEMENTS="0")["databases"]["default"]
    assert "server_side_binding" not in default.get("OPTIONS", {})
    assert "prepare_threshold" not in default.get("OPTIONS", {})


@pytest.mark.django_db
def test_a_query_run_again_and_again_is_planned_once_by_postgresql():
    """The fifth run of the same query on a connection prepares it: PostgreSQL keeps it and does
    not plan it again at each request (the load test's PostgreSQL time, docs/benchmarks.md)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from accounts.models import User

    for _ in range(6):
        list(User.objects.filter(email="nobody@example.org"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_user"' in statement and "$1" in statement for statement in prepared)


def test_hashed_static_files_are_served_with_a_year_long_immutable_cache(settings, tmp_path):
    source, root = tmp_path / "source", tmp_path / "root"
    (source / "css").mkdir(parents=True)
    (source / "css" / "portal.css").write_text("body { color: #161616; }\n")
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", "--noinput", verbosity=0)
    from django.contrib.staticfiles.storage import staticfiles_storage

    hashed = staticfiles_storage.url("css/portal.css")
    assert hashed != "/static/css/portal.css"
    client = Client()  # a new handler: whitenoise reads STATIC_ROOT when the middleware starts
    response = client.get(hashed)
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"] and "max-age=315360000" in response["Cache-Control"]
    plain = client.get("/static/css/portal.css")
    assert "immutable" not in plain["Cache-Control"]


@pytest.mark.django_db
def test_healthz_keeps_its_figures_for_the_monitoring_token_when_one_is_set(client, settings):
    settings.HEALTHZ_TOKEN = "monitoring-secret"
    public = client.get("/healthz").json()
    assert public == {"status": "ok", "database": "ok", "broker": "ok"}
    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer wrong").json() == public
    monitoring = client.get("/healthz", HTTP_AUTHORIZATION="Bearer monitoring-secret").json()
    assert "outbox" in monitoring and "scheduler_heartbeat_age_seconds" in monitoring
