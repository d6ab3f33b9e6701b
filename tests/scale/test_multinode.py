"""The portal on several nodes (issue 16): two gunicorn processes on two ports and two Celery
workers, separate processes sharing only what production nodes share: PostgreSQL (the committed
test database), Redis (broker, cache, rate limits, beat's lock) and the S3 API (files).

- An applicant signs in and files on node A; a worker renders the receipt into the bucket; the
  same session downloads it from node B, and nobody else can.
- A burst of bookings for one slot, half sent to each node at once, books exactly its seats.
- A person's booking attempts are counted across both nodes (the rate limit lives in Redis), and
  so are failed logins (django-axes, in the database).
- Two beat processes started at once send each run of the schedule once (celery-redbeat's lock),
  and when the one holding the lock is killed the other takes over.

Marked ``multinode``: ``pytest -m multinode`` runs these alone; ``make test`` runs them with the rest.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import redis
from django.db import connection
from django.urls import reverse

from appointments.models import Booking, Slot
from documents.models import IssuedDocument
from tests.applications.test_filing import EPHOTO, STAMP, filled_renewal
from tests.conftest import s3_bucket
from tests.factories import PASSWORD, UserFactory
from tests.scale.ticks import ticks_key

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.multinode,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="several nodes need PostgreSQL"),
    pytest.mark.skipif(not REDIS_URL, reason="several nodes share Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]
TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


class Browser:
    """A person's browser, reduced to its cookies: any node, same cookies."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, node: str, method: str, path: str, data: dict | None = None) -> tuple[int, dict, bytes]:
        parts = urlsplit(node)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode({**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, dict(response.headers), content
        finally:
            conn.close()

    def get(self, node: str, path: str):
        return self.request(node, "GET", path)

    def post(self, node: str, path: str, data: dict):
        return self.request(node, "POST", path, data)

    def sign_in(self, node: str, user) -> None:
        login = reverse("accounts:login")
        status, _, _ = self.get(node, login)
        assert status == 200 and "csrftoken" in self.cookies
        status, _, _ = self.post(node, login, {"username": user.email, "password": PASSWORD})
        assert status == 302, "the login failed"
        assert "sessionid" in self.cookies


class Cluster:
    def __init__(self, tmp: Path, bucket: dict) -> None:
        self.tmp, self.bucket, self.prefix = tmp, bucket, f"anef-test-{uuid.uuid4().hex[:8]}"
        self.queue = f"test-scale-{uuid.uuid4().hex[:8]}"
        db = connection.settings_dict
        self.env = {
            **os.environ, **bucket["env"],
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "tests.scale_settings",
            "TEST_CELERY_QUEUE": self.queue, "TEST_CACHE_PREFIX": self.prefix, "BOOKING_RATE_LIMIT": "3",
        }
        self.processes: list[subprocess.Popen] = []
        self.nodes: list[str] = []

    def start(self, name: str, *arguments: str) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen([sys.executable, "-m", *arguments], cwd=ROOT, env=self.env,  # noqa: S603
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def start_node(self, name: str) -> str:
        port = free_port()
        self.start(name, "gunicorn", "anef.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                   "--timeout", "60", "--access-logfile", "-")
        node = f"http://127.0.0.1:{port}"
        self.nodes.append(node)
        return node

    def start_worker(self, name: str) -> None:
        self.start(name, "celery", "-A", "tests.scale_celery", "worker", "--pool=solo", "-Q", self.queue,
                   "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info")

    def start_beat(self, name: str) -> subprocess.Popen:
        return self.start(name, "celery", "-A", "tests.scale_celery", "beat", "-l", "info")

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            self.stop(process)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"*{self.prefix}*")) + [self.queue.encode()]
        client.delete(*keys)

    def log(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.tmp.glob("*.log")))


def ready(node: str) -> bool:
    try:
        return Browser().get(node, "/readyz")[0] == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def running_cluster(s3_endpoint, django_db_setup, tmp_path_factory):
    """Started once for the module: the processes outlive each test's flush of the database (they
    hold no transaction open between requests) and reconnect as production nodes would."""
    bucket = s3_bucket(s3_endpoint)
    nodes = Cluster(tmp_path_factory.mktemp("cluster"), bucket)
    try:
        node_a, node_b = nodes.start_node("node-a"), nodes.start_node("node-b")
        nodes.start_worker("worker-1")
        nodes.start_worker("worker-2")
        for node in (node_a, node_b):
            wait_for(lambda node=node: ready(node), f"{node} to be ready")
        yield nodes
    except AssertionError:
        print(nodes.log())
        raise
    finally:
        nodes.stop_all()


@pytest.fixture
def cluster(running_cluster, settings, transactional_db):
    """The running cluster, with this test process's files in the same bucket."""
    settings.STORAGES = {**settings.STORAGES, "default": running_cluster.bucket["config"]}
    return running_cluster


def test_filed_on_node_a_rendered_by_a_worker_downloaded_from_node_b(cluster):
    node_a, node_b = cluster.nodes
    applicant = UserFactory()
    dossier = filled_renewal(applicant)  # the draft and its pieces, in the database and the bucket
    browser = Browser()
    browser.sign_in(node_a, applicant)

    status, headers, _ = browser.post(node_a, reverse("applications:step", args=[dossier.pk, "review"]),
                                      {"certify": "on", "tax_stamp_number": STAMP, "ephoto_code": EPHOTO})
    assert status == 302 and headers["Location"] == reverse("applications:dossier", args=[dossier.pk])
    receipt = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind="filing_receipt")

    url = reverse("documents:download", args=[receipt.pk])
    status, headers, pdf = wait_for(lambda: (r := browser.get(node_b, url))[0] == 200 and r,
                                    "a worker to render the receipt", timeout=TIMEOUT)
    assert headers["Content-Type"] == "application/pdf"
    receipt.refresh_from_db()
    stored = cluster.bucket["client"].get_object(Bucket=cluster.bucket["bucket"], Key=receipt.file.name)["Body"].read()
    assert pdf.startswith(b"%PDF") and pdf == stored
    workers_log = "".join((cluster.tmp / f"worker-{n}.log").read_text(errors="replace") for n in (1, 2))
    assert "documents.tasks.render_document[" in workers_log  # a worker process rendered it

    stranger = Browser()
    stranger.sign_in(node_b, UserFactory())
    assert stranger.get(node_b, url)[0] == 404
    assert stranger.get(node_a, url)[0] == 404
    assert Browser().get(node_b, url)[0] == 302  # to the login page


def test_a_booking_burst_split_across_both_nodes_books_exactly_the_seats(cluster, slot_69, applicant_69):
    slot = slot_69(in_hours=72, capacity=3)
    people = [applicant_69() for _ in range(12)]
    browsers = []
    for index, person in enumerate(people):
        browser = Browser()
        browser.sign_in(cluster.nodes[index % 2], person)
        browsers.append(browser)
    book = reverse("appointments:book", args=["pan_assistance"])
    barrier = threading.Barrier(len(browsers))
    results: list[object] = [None] * len(browsers)

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = browsers[index].post(cluster.nodes[index % 2], book,
                                                  {"site": slot.desk.site_id, "slot": slot.pk})[0]
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results, key=str) == [200] * 9 + [302] * 3, results  # 302: booked; 200: "just taken"
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).count() == 3


def test_the_booking_rate_limit_counts_attempts_on_every_node(cluster, slot_69, applicant_69):
    """BOOKING_RATE_LIMIT is 3 on these nodes: the fourth attempt is refused, whichever node takes it."""
    slot = slot_69(in_hours=72, capacity=5)
    browser = Browser()
    browser.sign_in(cluster.nodes[0], applicant_69())
    book = reverse("appointments:book", args=["pan_assistance"])
    answers = [browser.post(cluster.nodes[i % 2], book, {"site": slot.desk.site_id, "slot": slot.pk})
               for i in range(4)]
    assert [status for status, _, _ in answers] == [302, 200, 200, 200]  # booked, then refused
    assert "Trop de tentatives" not in answers[2][2].decode()
    assert "Trop de tentatives de réservation en peu de temps" in answers[3][2].decode()
    assert Slot.objects.get(pk=slot.pk).booked == 1


def test_two_beats_started_at_once_send_each_scheduled_run_once_and_one_takes_over(cluster):
    """Two beats on a one-second job: one holds the lock and ticks; when it is killed (no chance to
    release the lock), the other takes over once the lock expires (5 s here), and no run is sent
    twice, before, during or after."""
    client = redis.Redis.from_url(REDIS_URL)
    beats = {name: cluster.start_beat(name) for name in ("beat-1", "beat-2")}
    wait_for(lambda: client.llen(ticks_key(cluster.prefix)) >= 1, "the first scheduled run")

    def holders() -> list[str]:
        return [name for name in beats if "Acquired lock" in (cluster.tmp / f"{name}.log").read_text(errors="replace")]

    (holder,) = wait_for(holders, "a beat to log its lock")
    time.sleep(3)
    os.killpg(beats[holder].pid, signal.SIGKILL)
    beats[holder].wait(10)
    killed_at = time.time()
    wait_for(lambda: len(holders()) == 2, "the other beat to take the lock over", timeout=30)
    time.sleep(4)
    for beat in beats.values():
        cluster.stop(beat)
    time.sleep(2)  # the last message sent is run
    ticks = sorted(float(t) for t in client.lrange(ticks_key(cluster.prefix), 0, -1))
    span = ticks[-1] - ticks[0]
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    # One job every second: never more runs than seconds passed (one more for the first), none twice.
    assert 6 <= len(ticks) <= int(span) + 2, ticks
    assert min(gaps) > 0.5, gaps
    assert sum(tick > killed_at + 1 for tick in ticks) >= 3  # the survivor went on with the schedule


def test_failed_logins_on_both_nodes_count_towards_one_lockout(cluster):
    """django-axes counts failures in the database: five wrong passwords spread over the two nodes
    lock the account on both, even with the right password."""
    person = UserFactory()
    browser = Browser()
    login = reverse("accounts:login")
    browser.get(cluster.nodes[0], login)
    statuses = [browser.post(cluster.nodes[i % 2], login, {"username": person.email, "password": "wrong"})[0]
                for i in range(5)]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    for node in cluster.nodes:
        status, _, _ = browser.post(node, login, {"username": person.email, "password": PASSWORD})
        assert status == 429  # locked out, whichever node is asked
