"""The main pages and their floors of ``bench/pages.py``, in-process, in CPU time (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench14 .venv/bin/python bench/pages_cpu.py

The Django test client under the same production settings, on the same data and the floors'
saved HTML (run ``bench/pages.py`` once first). Each page and its floor are requested 100 times
after a warm-up, and the CPU time of this process (``time.process_time``) is divided by the count:
no HTTP server, no load generator, and time spent waiting for a core on a shared machine is not
counted, so the ratios move much less with the load than ``bench/pages.py``'s. The database's own
CPU is not counted (another process): the ratios are of the Python side.

``--calls`` adds the Python function calls per request of each page and floor (cProfile's count):
the same on every run, whatever the load, so a change's effect shows even when the CPU times of a
busy machine move by a fifth from one run to the next.

``--url WHO:PATH`` (repeatable: ``--url applicant:/dossiers/12/``) measures other pages as that
persona instead of the main ones, each against the floor of the main page of the same persona.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pages  # noqa: E402 - sets the production environment before Django starts

REPEAT = 100


def calls_per_request(client, target: str, repeat: int = 20) -> int:
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        client.get(target)
    profile.disable()
    return pstats.Stats(profile).total_calls // repeat  # type: ignore[attr-defined]


def main() -> None:
    import argparse

    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", action="store_true", help="also count the Python function calls per request")
    parser.add_argument("--url", action="append", default=[], metavar="WHO:PATH",
                        help="measure this page instead of the main ones (WHO: anonymous, applicant, agent, mediator)")
    args = parser.parse_args()

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.ROOT_URLCONF = pages.bench_urls()
    cookie_of = pages.cookies()
    pages.in_process(cookie_of)  # resolves a main page's redirect, if one redirects
    if args.calls:
        print("| page | who | CPU per page | CPU per floor | floor ÷ page | calls per page | calls per floor |\n"
              "|---|---|---|---|---|---|---|")
    else:
        print("| page | who | CPU per page | CPU per floor | floor ÷ page |\n|---|---|---|---|---|")
    floor_of = {who: label for label, who, _url in reversed(pages.PAGES)}
    for label, who, url in pages.extra_pages(args.url) or pages.PAGES:
        client = Client()
        if who:
            client.cookies[settings.SESSION_COOKIE_NAME] = cookie_of[who].split("=", 1)[1]
        cpu, calls = {}, {}
        for name, target in (("page", url), ("floor", f"/bench-floor/{floor_of[who].replace(' ', '-')}/")):
            for _ in range(10):
                assert client.get(target).status_code == 200, (label, name)
            started = time.process_time()
            for _ in range(REPEAT):
                client.get(target)
            cpu[name] = (time.process_time() - started) / REPEAT * 1000
            if args.calls:
                calls[name] = calls_per_request(client, target)
        extra = f" {calls['page']:,} | {calls['floor']:,} |" if args.calls else ""
        print(f"| `{url}` | {who or 'anonymous'} | {cpu['page']:.2f} ms | {cpu['floor']:.2f} ms | "
              f"**{cpu['floor'] / cpu['page']:.2f}** |{extra}", flush=True)


if __name__ == "__main__":
    main()
