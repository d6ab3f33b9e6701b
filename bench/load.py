"""Load test (issue 17, item 4): locust against gunicorn on PostgreSQL and Redis with the demo data
at scale, then the ceiling of the bare stack on the same server in the same run.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE anef_bench14"   # once (shared with bench/pages.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench14 .venv/bin/python bench/load.py
    # --users 50 --seconds 60 --ramp 100,150,200,300,400,600 --max-users 2000 --step-seconds 40 --write

1. Data and server as ``bench/pages.py`` (its helpers: migrate, ``seed_demo``, ``--dossiers`` more
   filed dossiers in the Rhône, sessions of a demo applicant, agent and mediator with the second
   factor verified; gunicorn, 2 sync workers, production settings, Redis cache).
2. **Steady load**: ``--users`` simulated people (6 applicants : 3 agents : 1 mediator, 1–5 s think
   time, ``bench/locustfile.py``) for ``--seconds``: p50/p95/p99 per page, throughput, errors.
3. **Ramp**: more users, step by step (``--ramp``, then 200 more a step up to ``--max-users``),
   until the aggregated p95 passes 1 s; the saturation throughput is the highest req/s of a step
   whose error rate stayed under 1 %. Every step (and the ceiling's) is counted from the moment all
   its users have started (locust's ``--reset-stats``): the first ~5 s, while users are still
   spawning, would lower the figures of both sides by about 6 %.
4. **Ceiling**: the floor page (``bench/pages.py``'s floor view: the portal's average page, saved,
   served as a static template through the same middleware with the same session) asked with no
   think time by 16 users for ``--step-seconds``, three times (before the steady load, after it, after
   the ramp): the median. Goal: saturation ≥ 50 % of the ceiling. Both sides check each answer the
   same way (``bench/locustfile.py``'s ``page``: status 200, else an error), so the load generator,
   which shares the two cores, does the same work per request on both.

Prints the tables (and ``uptime``: the 2 cores are shared) and, with ``--write``, puts them in
docs/benchmarks.md ("Load test (issue 17)").
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages  # noqa: E402 (sets the server's environment first)

LOCUST = str(ROOT / ".venv" / "bin" / "locust")


def sessions(floor_path: str) -> dict:
    from accounts.models import User
    from applications.models import Dossier

    cookie_of = pages.cookies()
    applicant = Dossier.objects.filter(applicant__email__endswith=pages.DOMAIN).order_by("id").first().applicant
    agent = User.objects.get(email=pages.PEOPLE["agent"])
    rhone = agent.memberships.values_list("prefecture_id", flat=True).first()
    return {
        "applicant": {"cookie": cookie_of["applicant"],
                      "dossiers": list(Dossier.objects.filter(applicant=applicant).values_list("pk", flat=True))},
        "agent": {"cookie": cookie_of["agent"], "dossiers": list(
            Dossier.objects.filter(prefecture_id=rhone).exclude(status="draft").values_list("pk", flat=True)[:500])},
        "mediator": {"cookie": cookie_of["mediator"]},
        "floor": floor_path,
    }


def average_floor(port: int, cookie_of: dict) -> str:
    """Saves the HTML of the pages of the mix and returns the floor URL of the one closest to their
    average size (the floor view serves a saved page as a static template)."""
    pages.HTML_DIR.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for label, who, path in pages.PAGES:
        status, body = pages.fetch(port, path, cookie_of.get(who) if who else None)
        if status == 200:
            slug = label.replace(" ", "-")
            (pages.HTML_DIR / f"{slug}.html").write_bytes(body)
            sizes[slug] = len(body)
    mean = sum(sizes.values()) / len(sizes)
    slug = min(sizes, key=lambda s: abs(sizes[s] - mean))
    print(f"average page {mean / 1024:.0f} KB; floor: {slug} ({sizes[slug] / 1024:.0f} KB)", flush=True)
    return f"/bench-floor/{slug}/"


def run_locust(port: int, env: dict, users: int, seconds: int, classes: list[str], prefix: str) -> list[dict]:
    command = [LOCUST, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
               "-r", str(max(users // 5, 1)), "-t", f"{seconds}s", "-H", f"http://127.0.0.1:{port}",
               "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
               "--reset-stats",  # counted once every user has started: the step's steady state, not its spawn
               *classes]
    subprocess.run(command, cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
    with open(f"{prefix}_stats.csv") as stats:
        return list(csv.DictReader(stats))


def ramp_steps(listed: list[int], most: int):
    """The listed user counts, then 200 more at each step up to ``most``: the ramp goes on until the
    p95 passes 1 s (the caller stops it), however fast the machine."""
    yield from listed
    users = listed[-1]
    while users + 200 <= most:
        users += 200
        yield users


def _ms(value: str) -> str:
    return "–" if value in ("", "N/A") else f"{float(value):.0f}"


def table(rows: list[dict]) -> str:
    lines = ["| page | requests | errors | p50 ms | p95 ms | p99 ms | req/s |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        name = "**all pages**" if row["Name"] == "Aggregated" else row["Name"]
        lines.append(f"| {name} | {row['Request Count']} | {row['Failure Count']} | {_ms(row['50%'])} | "
                     f"{_ms(row['95%'])} | {_ms(row['99%'])} | {float(row['Requests/s']):.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--ramp", default="100,150,200,300,400,600")
    parser.add_argument("--max-users", type=int, default=2000,
                        help="after the listed steps, 200 more users a step until the p95 passes 1 s, up to this")
    parser.add_argument("--step-seconds", type=int, default=40)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    pages.populate(args.dossiers)
    cookie_of = pages.cookies()
    port = pages.free_port()
    work = Path(tempfile.mkdtemp(prefix="anef-load-"))
    with open(work / "gunicorn.log", "w") as log:
        server = pages.start_gunicorn(port, log)
        try:
            floor = average_floor(port, cookie_of)
            env = {**os.environ, "LOAD_SESSIONS": json.dumps(sessions(floor))}
            mix = ["ApplicantUser", "AgentUser", "MediatorUser"]
            ceilings: list[float] = []  # three times, around the rest: one measure of it moved by a third here

            def ceiling_step() -> None:
                index = len(ceilings)
                total = run_locust(port, env, 16, args.step_seconds, ["FloorUser"], str(work / f"ceiling{index}"))[-1]
                ceilings.append(float(total["Requests/s"]))
                print(f"ceiling {index + 1}: {ceilings[-1]:.1f} req/s", flush=True)

            ceiling_step()
            steady = run_locust(port, env, args.users, args.seconds, mix, str(work / "steady"))
            ceiling_step()
            ramp = []
            for users in ramp_steps([int(u) for u in args.ramp.split(",")], args.max_users):
                total = run_locust(port, env, users, args.step_seconds, mix, str(work / f"ramp{users}"))[-1]
                ramp.append((users, total))
                print(f"{users} users: p95 {total['95%']} ms, {float(total['Requests/s']):.1f} req/s", flush=True)
                if total["95%"] not in ("", "N/A") and float(total["95%"]) > 1000:
                    break
            ceiling_step()
        finally:
            server.terminate()
            server.wait(timeout=30)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    good = [(u, t) for u, t in ramp
            if int(t["Request Count"]) and int(t["Failure Count"]) / int(t["Request Count"]) < 0.01]
    saturation = max((float(t["Requests/s"]) for _u, t in good), default=0.0)
    ceiling_rps = statistics.median(ceilings)
    text = "\n".join([
        f"Steady load: {args.users} users, 1–5 s think time, {args.seconds} s.", "", table(steady), "",
        "Ramp (each step " + str(args.step_seconds) + " s):", "",
        "| users | p50 ms | p95 ms | p99 ms | req/s | errors |", "|---|---|---|---|---|---|",
        *[f"| {u} | {_ms(t['50%'])} | {_ms(t['95%'])} | {_ms(t['99%'])} | {float(t['Requests/s']):.1f} | "
          f"{t['Failure Count']} |" for u, t in ramp], "",
        f"Saturation throughput {saturation:.1f} req/s; ceiling of the bare stack (floor page, 16 users, "
        f"no think time; median of three measures, before the steady load, after it and after the ramp: "
        f"{', '.join(f'{c:.1f}' for c in ceilings)}) {ceiling_rps:.1f} req/s: "
        f"{100 * saturation / ceiling_rps:.0f} % (goal ≥ 50 %).", "",
        f"`uptime` at the end: {uptime} (2 shared cores: other suites ran at the same time).",
    ])
    print(text)
    if args.write:
        pages.write_table("load", text)


if __name__ == "__main__":
    main()
