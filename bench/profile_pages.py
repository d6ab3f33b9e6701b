"""Profile of the main pages in-process (issue 14): the Django test client under the production
settings of ``bench/pages.py`` (``DEBUG=0``, Redis cache, cached template loader), each page
requested ``--repeat`` times under cProfile (CPU time) after a warm-up; prints the milliseconds per
request (wall and CPU) and the functions with the most cumulative and own time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench14 .venv/bin/python bench/profile_pages.py
    # --page queue (a part of the label) to profile one page; --dump DIR writes .prof files
    # --url agent:/backoffice/dossiers/42/ (repeatable) profiles other pages, as that persona

Run ``bench/pages.py`` once first on the same database: it loads the data and this reuses it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pages  # noqa: E402 - sets the production environment before Django starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", default="", help="only the pages whose label contains this")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--dump", help="a directory for the .prof files")
    parser.add_argument("--url", action="append", default=[], metavar="WHO:PATH",
                        help="profile this page instead of the main ones (WHO: anonymous, applicant, agent, mediator)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    cookie_of = pages.cookies()
    pages.in_process(cookie_of)  # resolves a main page's redirect, if one redirects
    for label, who, url in pages.extra_pages(args.url) or pages.PAGES:
        if args.page not in label:
            continue
        client = Client()
        if who:
            client.cookies[settings.SESSION_COOKIE_NAME] = cookie_of[who].split("=", 1)[1]
        for _ in range(20):
            assert client.get(url).status_code == 200
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            client.get(url)
        plain = (time.perf_counter() - started) / args.repeat * 1000
        cpu = (time.process_time() - cpu) / args.repeat * 1000
        # CPU time, not wall time: on a shared machine, waiting for a core is not the page's cost
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.repeat):
            client.get(url)
        profile.disable()
        print(f"\n===== {label} {url}: {plain:.2f} ms per request, {cpu:.2f} ms of CPU (without the profiler)")
        if args.dump:
            profile.dump_stats(str(Path(args.dump) / f"{label.replace(' ', '-').strip('/').replace('/', '_')}.prof"))
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])


if __name__ == "__main__":
    main()
