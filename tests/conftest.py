import importlib
import os

import pytest

#: Data migrations whose rows the suite relies on; their loaders are idempotent (update_or_create).
REFERENCE_DATA = (
    "territory.migrations.0002_load_departements",
    "territory.migrations.0004_fill_demo_site_addresses",
    "applications.migrations.0002_load_catalogue",
    "applications.migrations.0008_catalogue_english",
    "appointments.migrations.0002_load_motives",
    "helpcentre.migrations.0002_help_content",
)


if os.environ.get("ANEF_MUTATION"):
    import resource

    # A mutant can turn a loop into one that never ends and grows a list: it is stopped by its CPU
    # time limit, but may take gigabytes first, on a machine that CI shares. Past 3 GiB of address
    # space it fails with MemoryError instead, which counts as caught.
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, resource.getrlimit(resource.RLIMIT_AS)[1]))


def pytest_collection_modifyitems(config, items):
    """Under ``make mutation`` (ANEF_MUTATION=1) several test processes share one database kept
    between runs (``--reuse-db``): a transactional test (live server, real worker, threads) would
    flush it under the others' feet, so those tests are left out there (docs/testing.md)."""
    if not os.environ.get("ANEF_MUTATION"):
        return
    kept, left_out = [], []
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = bool(marker and marker.kwargs.get("transaction")) or any(
            name in getattr(item, "fixturenames", ()) for name in ("transactional_db", "live_server", "celery_worker")
        )
        (left_out if transactional else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Under ``make mutation`` each mutant's tests run in a process forked from one that already ran
    a session with ``--reuse-db``, which leaves the settings naming the test database (there is no
    teardown to restore them): the child would then create and migrate ``test_test_<name>``, and
    its own children ``test_test_test_<name>``. The test database is named from the environment
    instead, the same in every process."""
    url = os.environ.get("DATABASE_URL", "")
    if not os.environ.get("ANEF_MUTATION") or not url.startswith("postgres"):
        return
    from urllib.parse import urlsplit

    from django.db import connections

    name = urlsplit(url).path.lstrip("/")
    connections["default"].settings_dict["TEST"]["NAME"] = f"test_{name}"


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """A transactional test (live server, real worker, threads) ends with a flush that also empties
    the reference data the migrations loaded, and the next transactional test would find no
    prefecture. Such tests reload it first. Not ``serialized_rollback``: once Playwright's event
    loop runs, asgiref hands the test a fresh connection without the serialized contents."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module in REFERENCE_DATA:
        importlib.import_module(module).load(apps, None)


@pytest.fixture(autouse=True)
def _french_by_default():
    """Each test starts in the portal's default language: a request made in English (which
    activates English in this thread, as LocaleMiddleware does) must not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    from core.fragments import forget_local_copies

    cache.clear()
    forget_local_copies()  # this process's copies of the cache (core.fragments) go with it
    yield
    cache.clear()
    forget_local_copies()


@pytest.fixture
def celery_worker():
    """A real worker thread consuming from the broker the settings name (Redis in CI, kombu's
    filesystem transport otherwise), for tests about tasks: they need ``transaction=True`` so that
    the worker's own connection sees what the test wrote."""
    from celery.contrib.testing.worker import start_worker

    from anef.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    """Runs the after-commit side effects of each block (the e-mails a view queued), as a real
    commit would: ``with mails(): client.post(...)``, then read ``django.core.mail.outbox``."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def _answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310 (a URL of our own, http)
    except urllib.error.HTTPError:
        return True  # an S3 API answers an anonymous GET of / with an error: it is up
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of an S3 API: moto's standalone server that ``.ci/run`` started (S3_TEST_ENDPOINT_URL),
    or one started here, in a thread, when none answers (a developer's machine)."""
    url = os.environ.get("S3_TEST_ENDPOINT_URL", "")
    if url and _answers(url):
        yield url
        return
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_bucket(endpoint: str) -> dict:
    """A fresh private bucket on the S3 API at ``endpoint``: its name, a boto3 client, the
    STORAGES entry that points the portal at it, and the environment variables that do the same in
    another process (a gunicorn node, a worker: anef/settings/base.py reads them)."""
    import uuid

    import boto3

    from anef.settings.storage import s3_storage_config

    bucket = f"anef-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    env = {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, "S3_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "S3_ADDRESSING_STYLE": "path"}
    config = s3_storage_config(bucket=bucket, endpoint_url=endpoint, region="us-east-1", access_key="testing",
                               secret_key="testing", addressing_style="path")
    return {"bucket": bucket, "endpoint": endpoint, "client": client, "env": env, "config": config}


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    """The portal's files on a fresh private bucket of the S3 API, through django-storages, as in
    production with S3_BUCKET set."""
    bucket = s3_bucket(s3_endpoint)
    settings.STORAGES = {**settings.STORAGES, "default": bucket["config"]}
    return bucket
