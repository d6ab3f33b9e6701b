"""Benchmark: the main pages through gunicorn under production settings, each against its floor
measured in the same run (issue 14).

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE anef_bench14"   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench14 .venv/bin/python bench/pages.py
    # --write LABEL replaces the table "LABEL" of docs/benchmarks.md ("Pages (issue 14)")

Migrates, collects the static files, loads the demo data (``seed_demo``) and, once, ``--dossiers``
more filed dossiers (default 2,000) in the demo agent's prefecture (Rhône), so that the queue
shows full pages. Signs in, server-side, an applicant, an agent and a mediator of the demo (the
staff with a verified second factor) and takes their session cookies.

Starts gunicorn (2 sync workers, ``DEBUG=0``, production settings, ``CONN_MAX_AGE=600``, Redis
database 12 as cache) on this module's ``application``: the project's own URLs plus
``/bench-floor/<page>/``, the floor. The floor is the page's own HTML, fetched once and saved,
served as a static template (``{% verbatim %}``, compiled once per worker) by a view behind the
same middleware, with the same cookie: what the stack costs to answer that page without any of the
application's logic, templates, forms or queries.

Then, for 3 rounds, each page and its floor in turn (floor, page, floor, page…) under
``wrk -t2 -c8`` (keep-alive, 8 connections) for ``--seconds`` each; the ratio of a round is
page req/s ÷ floor req/s; the table shows the medians of the 3 rounds. Query counts and HTML sizes
come from one request of the Django test client in this process (same settings, same data).

Issue 14's other goals, each measured by its own script against its own floor in the same run,
after the pages (so that they do not share the cores with wrk), and printed with the pages' goals:

    --pdf              the receipt PDFs against a bare WeasyPrint document (bench/pdf.py)
    --sweep-db URL     the certificate sweep against its SQL floor (bench/certificates.py), on the
                       1,000,000-dossier database of bench/backoffice_queue.py
    --queue-db URL     the queue's p95 in-process at 1,000,000 dossiers (bench/backoffice_queue.py)

Each script prints its goals as one line, ``GOALS-JSON [{"goal", "value", "unit", "op", "target",
"met"}, …]`` (``--goals-json``), which this one reads.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "anef.settings.base",
    "DEBUG": "0",
    "SECRET_KEY": "benchmark-only-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "CONN_MAX_AGE": "600",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
    "CELERY_TASK_ALWAYS_EAGER": "1",
}
for _key, _value in SERVER_ENV.items():
    os.environ.setdefault(_key, _value)

WORKERS = 2
ROUNDS = 3
CONNECTIONS = 8
HTML_DIR = ROOT / "var" / "bench-pages"
DOMAIN = "demo.anef.example"

#: (label, who, path): the main page of each persona.
PAGES = [
    ("home", None, "/"),
    ("help", None, "/aide/"),
    ("catalogue", None, "/demarches/"),
    ("applicant dashboard", "applicant", "/espace/"),
    ("agent queue", "agent", "/backoffice/dossiers/"),
    ("mediator day", "mediator", "/backoffice/mediation/"),  # today's log of their one PAN, itself (issue 17)
]
#: The issue's goals, page ÷ floor by persona: public pages, applicant pages, the agent's queue
#: (the mediator's day has none of its own).
GOALS = {None: 0.6, "applicant": 0.4, "agent": 0.25}
GOALS_WHO = ("applicant", "agent", "mediator")


def extra_pages(specs: list[str]) -> list[tuple[str, str | None, str]]:
    """``["agent:/backoffice/dossiers/42/"]`` as ``PAGES`` rows (``--url`` of the in-process tools)."""
    rows = []
    for spec in specs:
        who, _, path = spec.partition(":")
        if who not in ("anonymous", *GOALS_WHO) or not path.startswith("/"):
            raise SystemExit(f"--url {spec!r}: WHO:PATH, WHO one of anonymous, {', '.join(GOALS_WHO)}")
        rows.append((path, None if who == "anonymous" else who, path))
    return rows


#: The extra dossiers of ``populate`` per applicant account.
DOSSIERS_PER_OWNER = 2

PEOPLE = {"applicant": None, "agent": f"agent.69@{DOMAIN}", "mediator": f"mediateur.69@{DOMAIN}"}


# --- The app gunicorn serves: the project plus the floor ---------------------------------------------

_FLOORS: dict[str, object] = {}


def floor_view(request, slug: str):
    """The page's saved HTML as a static template, compiled once per worker."""
    from django.http import HttpResponse
    from django.template import engines

    template = _FLOORS.get(slug)
    if template is None:
        html = (HTML_DIR / f"{slug}.html").read_text()
        template = _FLOORS[slug] = engines["django"].from_string("{% verbatim %}" + html + "{% endverbatim %}")
    request.user.is_authenticated  # noqa: B018 (loads the session and the user, as every page does)
    return HttpResponse(template.render({}))  # type: ignore[attr-defined]


_HANDLER: list = []


def application(environ, start_response):
    """``gunicorn bench.pages:application``, from the root (from bench/, bench/substitution.py
    would hide the app of that name): the project's WSGI handler, built on first use, on the
    project's URLs plus the floor's."""
    if not _HANDLER:
        import django
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        django.setup()
        settings.ROOT_URLCONF = bench_urls()
        _HANDLER.append(get_wsgi_application())
    return _HANDLER[0](environ, start_response)


def bench_urls() -> str:
    from django.urls import path

    from anef import urls as anef_urls

    module = types.ModuleType("bench_pages_urls")
    module.urlpatterns = [path("bench-floor/<slug:slug>/", floor_view), *anef_urls.urlpatterns]  # type: ignore[attr-defined]
    for name in dir(anef_urls):
        if name.startswith("handler"):
            setattr(module, name, getattr(anef_urls, name))
    sys.modules[module.__name__] = module
    return module.__name__


# --- Data and sessions ---------------------------------------------------------------------------------

def populate(extra: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from applications.models import Dossier, Procedure, Status
    from territory.models import Prefecture

    call_command("migrate", verbosity=0)
    from django.conf import settings

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():  # compressing takes minutes
        call_command("collectstatic", interactive=False, verbosity=0)
    if not User.objects.filter(email=f"agent.69@{DOMAIN}").exists():
        print("Loading the demo data…", flush=True)
        subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, check=True,  # noqa: S603
                       env={**os.environ, "DEBUG": "1"}, stdout=subprocess.DEVNULL)
    # The extra dossiers belong to applicants of their own, two each (people file a few requests:
    # a first permit, a renewal): the demo applicants keep their few, and the table's statistics,
    # which the planner prices its plans with, look like the service's. One account holding them all
    # made PostgreSQL count 6 applicants for 2,005 dossiers, and re-plan at every visit a prepared
    # query filtered by applicant that a real table would plan once.
    now = timezone.now()
    owners = list(User.objects.filter(email__startswith="bench14-").order_by("email").values_list("pk", flat=True))
    wanted = -(-extra // DOSSIERS_PER_OWNER)
    if len(owners) < wanted:
        User.objects.bulk_create(
            User(email=f"bench14-{k:05d}@example.org", first_name="Awa", last_name="Bench", email_verified_at=now)
            for k in range(len(owners), wanted)
        )
        owners = list(User.objects.filter(email__startswith="bench14-").order_by("email").values_list("pk", flat=True))
    filed = list(Dossier.objects.filter(reference__startswith="B14-").order_by("reference")
                 .values_list("pk", "applicant_id"))
    misplaced = [(pk, owners[i // DOSSIERS_PER_OWNER]) for i, (pk, applicant_id) in enumerate(filed)
                 if applicant_id != owners[i // DOSSIERS_PER_OWNER]]
    if misplaced:
        print(f"Giving {len(misplaced):,} bench dossiers to their own applicants…", flush=True)
        Dossier.objects.bulk_update([Dossier(pk=pk, applicant_id=owner) for pk, owner in misplaced],
                                    ["applicant_id"], batch_size=500)
        User.objects.filter(email="bench14@example.org").delete()
    have = len(filed)
    if have < extra:
        print(f"Filing {extra - have:,} more dossiers in the Rhône…", flush=True)
        rhone = Prefecture.objects.get(department__code="69")
        procedures = list(Procedure.objects.all())
        statuses = [Status.SUBMITTED, Status.UNDER_REVIEW, Status.COMPLEMENTS_REQUESTED]
        Dossier.objects.bulk_create(
            Dossier(applicant_id=owners[i // DOSSIERS_PER_OWNER], procedure=procedures[i % len(procedures)],
                    prefecture=rhone, status=statuses[i % len(statuses)], submitted_at=now,
                    reference=f"B14-69-{i:08d}", answers={"identity": {"first_name": "Awa"}})
            for i in range(have, extra)
        )
    if misplaced or have < extra:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def cookies() -> dict[str, str]:
    """A signed-in session per persona (staff with a verified second factor), as a Cookie header."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from applications.models import Dossier

    applicant = Dossier.objects.filter(applicant__email__endswith=DOMAIN).order_by("id").first().applicant
    result = {}
    for who, email in PEOPLE.items():
        user = applicant if email is None else User.objects.get(email=email)
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        result[who] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return result


def in_process(cookie_of: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(queries, HTML bytes) of each page, one request each after a warm-up, by the test client;
    a page that redirects is replaced by its target (the mediator's home did before issue 17)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    result = {}
    for index, (label, who, url) in enumerate(PAGES):
        client = Client()
        if who:
            client.cookies[settings.SESSION_COOKIE_NAME] = cookie_of[who].split("=", 1)[1]
        response = client.get(url)
        if response.status_code == 302:
            url = response["Location"]
            PAGES[index] = (label, who, url)
            client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        result[label] = (len(queries), len(response.content))
    return result


# --- Server and load ------------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(port: int, path: str, cookie: str | None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_gunicorn(port: int, log) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "gunicorn", "bench.pages:application", "--workers", str(WORKERS),
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
         "--timeout", "60", "--keep-alive", "5"],
        cwd=ROOT, env={**os.environ, **SERVER_ENV}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log.name}")
        try:
            fetch(port, "/healthz", None)
            return process
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer; see {log.name}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, path: str, cookie: str | None, seconds: int) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) of ``wrk -t2 -c8`` on one URL."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True,  # noqa: S603
                            text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{path}: non-2xx answers\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return rps, float(value) * _UNITS[unit]


def write_table(label: str, table: str) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text()
    start, end = f"<!-- bench/pages.py {label} -->", f"<!-- /bench/pages.py {label} -->"
    block = f"{start}\n{table}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    docs.write_text(text)


#: Issue 14's goals measured by other scripts: option -> (script, the environment variable its
#: database comes from, or None).
OTHER_GOALS = {"pdf": ("bench/pdf.py", None), "sweep_db": ("bench/certificates.py", "DATABASE_URL"),
               "queue_db": ("bench/backoffice_queue.py", "DATABASE_URL")}


def other_goals(args: argparse.Namespace) -> list[str]:
    """The goal lines of the other scripts asked for, each run as its own process."""
    lines = []
    for option, (script, variable) in OTHER_GOALS.items():
        value = getattr(args, option)
        if not value:
            continue
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)  # bench/pdf.py reads no database: none is opened
        if variable:
            env[variable] = value
        print(f"Running {script} --goals-json…", flush=True)
        run = subprocess.run([sys.executable, script, "--goals-json"], cwd=ROOT, env=env,  # noqa: S603 (ours)
                             capture_output=True, text=True, check=False)
        found = [line for line in run.stdout.splitlines() if line.startswith("GOALS-JSON ")]
        if run.returncode or not found:
            sys.exit(f"{script} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}")
        for goal in json.loads(found[-1].removeprefix("GOALS-JSON ")):
            lines.append(f"- {goal['goal']}: {goal['value']}{goal['unit']} against the goal of {goal.get('op', '<')} "
                         f"{goal['target']}{goal['unit']}, **{'met' if goal['met'] else 'not met'}**")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=2_000, help="extra dossiers in the Rhône (once)")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration of each measure")
    parser.add_argument("--write", metavar="LABEL", help="replace the table LABEL of docs/benchmarks.md")
    parser.add_argument("--only", default="", metavar="TEXT", help="only the pages whose label holds TEXT")
    parser.add_argument("--pdf", action="store_true", help="also the PDFs' goals (bench/pdf.py)")
    parser.add_argument("--sweep-db", metavar="URL", help="also the sweep's goal, on this database")
    parser.add_argument("--queue-db", metavar="URL", help="also the queue's p95 at scale, on this database")
    args = parser.parse_args()
    if args.only:
        if args.write:
            sys.exit("--write needs every page: leave out --only")
        PAGES[:] = [page for page in PAGES if args.only in page[0]]
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")

    import django

    django.setup()
    from django.db import connection

    assert connection.vendor == "postgresql", "Run against PostgreSQL: set DATABASE_URL."
    populate(args.dossiers)
    cookie_of = cookies()
    counts = in_process(cookie_of)
    connection.close()

    HTML_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = ROOT / "var" / f"bench-pages-{port}.log"
    with open(log_path, "w") as log:
        server = start_gunicorn(port, log)
        try:
            slugs = {}
            for label, who, url in PAGES:
                status, body = fetch(port, url, cookie_of.get(who or ""))
                assert status == 200, (label, status)
                slug = slugs[label] = label.replace(" ", "-")
                (HTML_DIR / f"{slug}.html").write_bytes(body)
            for label, who, url in PAGES:  # warm-up: both workers, every template and query
                for _ in range(2 * WORKERS):
                    fetch(port, url, cookie_of.get(who or ""))
                    fetch(port, f"/bench-floor/{slugs[label]}/", cookie_of.get(who or ""))
            load_before = os.getloadavg()
            rounds: dict[str, list[tuple[float, float, float, float]]] = {label: [] for label, _, _ in PAGES}
            for n in range(ROUNDS):
                for label, who, url in PAGES:
                    cookie = cookie_of.get(who or "")
                    floor = wrk(port, f"/bench-floor/{slugs[label]}/", cookie, args.seconds)
                    page = wrk(port, url, cookie, args.seconds)
                    rounds[label].append((*page, *floor))
                    print(f"round {n + 1} {label}: {page[0]:.0f} req/s, floor {floor[0]:.0f} req/s "
                          f"({page[0] / max(floor[0], 0.01):.2f})", flush=True)
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=30)
    log_path.unlink(missing_ok=True)

    lines = ["| page | who | HTML | queries | req/s | p99 | floor req/s | floor p99 | ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, who, url in PAGES:
        values = rounds[label]
        rps, p99, floor_rps, floor_p99 = (statistics.median(v[i] for v in values) for i in range(4))
        ratio = statistics.median(v[0] / max(v[2], 0.01) for v in values)
        queries, size = counts[label]
        lines.append(f"| `{url}` | {who or 'anonymous'} | {size / 1024:.1f} KB | {queries} | {rps:.0f} | "
                     f"{p99:.0f} ms | {floor_rps:.0f} | {floor_p99:.0f} ms | **{ratio:.2f}** |")
    lines.append("")
    lines.append(f"gunicorn {WORKERS} sync workers, `wrk -t2 -c{CONNECTIONS} -d{args.seconds}s` per measure, "
                 f"{ROUNDS} rounds interleaved (floor, page), medians; load average "
                 f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; "
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.")
    lines.append("")
    for label, who, url in PAGES:
        goal = GOALS.get(who)
        if goal is not None:
            ratio = statistics.median(v[0] / max(v[2], 0.01) for v in rounds[label])
            lines.append(f"- `{url}` ({who or 'anonymous'}): {ratio:.2f} against the goal of {goal:.2f}, "
                         f"**{'met' if ratio >= goal else 'not met'}**")
    lines += other_goals(args)
    table = "\n".join(lines)
    print("\n" + table)
    if args.write:
        write_table(args.write, table)


if __name__ == "__main__":
    main()
