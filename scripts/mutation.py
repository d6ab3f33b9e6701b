#!/usr/bin/env python3
"""Mutation testing of the modules that hold the rules (issue 10), with mutmut: docs/testing.md.

    scripts/mutation.py --all                    every module in [tool.mutmut] only_mutate
    scripts/mutation.py                          the modules changed since --base (default below)
    scripts/mutation.py "applications.clock.*"   the mutants matching these globs

The modules in scope are the ``only_mutate`` globs of ``[tool.mutmut]`` in pyproject.toml. "Changed"
means the files of that scope in ``git diff --name-only BASE HEAD``; BASE defaults to the merge-base
with ``main`` on another branch, and to ``HEAD~1`` on main itself (what CI sees in a fresh clone).

The run stops at ``--time-cap`` seconds (env ``MUTATION_TIME_CAP``): mutmut is interrupted and the score
counts only the mutants it checked, so a cap ends the run, never fails it. The exit status is 1 when a
module scores under ``--threshold`` percent (default 85) among the mutants checked (under a cap, only
a module with at least ``MIN_CHECKED_TO_JUDGE`` of them checked is judged), 2 when mutmut itself
failed, else 0. Needs PostgreSQL (``DATABASE_URL``): the tests run on a database kept between runs.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/anef"

# mutmut's exit codes per mutant (mutmut/stats.py), folded into what the score needs. A mutant the
# tests detect is "caught": a failing test, a timeout (an infinite loop the tests ran into), the
# type checker, or a crash (-9 is the kill after the CPU-time limit). "no tests" is a survivor: no
# test runs the mutated function at all.
CAUGHT = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "type check", -11: "crash", -9: "crash"}
MISSED = {0: "survived", 33: "no tests", 5: "no tests"}
NOT_CHECKED = {None, 2, 34}  # not run yet, interrupted, skipped


def scope_patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return config["only_mutate"]


def in_scope(path: str, patterns: list[str]) -> bool:
    return path.endswith(".py") and any(fnmatch.fnmatch(path, pattern) for pattern in patterns)


def scope_files(patterns: list[str]) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0:
        paths = listed.stdout.split()
    else:  # an export without git: the files on disk
        paths = [str(path.relative_to(ROOT)) for path in ROOT.glob("*/**/*.py") if "mutants" not in path.parts]
    return sorted(path for path in paths if in_scope(path, patterns) and (ROOT / path).exists())


def module_of(path: str) -> str:
    """applications/services/instruction.py -> applications.services.instruction"""
    module = path.removesuffix(".py").replace("/", ".")
    return module.removesuffix(".__init__")


def glob_of(path: str) -> str:
    """The mutant names of one file. A package's ``__init__`` holds functions only, whose mutants are
    named ``package.x_<function>__mutmut_<n>`` (methods: ``package.xǁClassǁ...``)."""
    if path.endswith("__init__.py"):
        return module_of(path) + ".x*"
    return module_of(path) + ".*"


def default_base() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    head, main = git("rev-parse", "HEAD"), git("rev-parse", "--verify", "-q", "main")
    if main and main != head:
        base = git("merge-base", "HEAD", "main")
        if base and base != head:
            return base
    return "HEAD~1"


def changed_files(base: str, patterns: list[str]) -> list[str]:
    result = subprocess.run(["git", "diff", "--name-only", base, "HEAD"], cwd=ROOT, capture_output=True,
                            text=True)
    if result.returncode != 0:  # a clone with one commit has no HEAD~1: nothing to compare with
        print(f"mutation: cannot diff against {base!r} ({result.stderr.strip()}); nothing to check")
        return []
    return sorted(path for path in result.stdout.split() if in_scope(path, patterns) and (ROOT / path).exists())


def files_of_globs(globs: list[str], files: list[str]) -> list[str]:
    """The files whose mutants a glob may select (to reset and score them)."""
    return [path for path in files if any(
        glob.startswith(module_of(path) + ".") or fnmatch.fnmatch(module_of(path) + ".x", glob) for glob in globs)]


def selected(key: str, globs: list[str]) -> bool:
    key = key.replace("__init__.", "")  # mutmut names a package's mutants without it, as here
    return any(fnmatch.fnmatch(key, glob) for glob in globs)


def meta_path(path: str) -> Path:
    return ROOT / "mutants" / (path + ".meta")


def forget_verdicts(paths: list[str], globs: list[str]) -> None:
    """Clears the cached verdicts of the mutants about to run, so that a run cut short by the time cap
    is scored on what it checked, not on an older run's results."""
    for path in paths:
        meta = meta_path(path)
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        for key in data["exit_code_by_key"]:
            if selected(key, globs):
                data["exit_code_by_key"][key] = None
        meta.write_text(json.dumps(data, indent=4))


def stats_are_sane() -> bool:
    """mutmut 3.8.1's ``print-time-estimates`` saves its stats file with every test-to-function link
    removed; every mutant then counts as "no tests". Such a file is deleted and the stats recollected."""
    stats = ROOT / "mutants" / "mutmut-stats.json"
    if not stats.exists():
        return True
    data = json.loads(stats.read_text())
    if data.get("tests_by_mangled_function_name"):
        return True
    stats.unlink()
    return False


def mutation_database_url(url: str) -> str:
    """The database the mutants' tests use: ``<name>_mutation`` beside ``<name>``. Their test
    database is kept between runs (``--reuse-db``); under its own name it never meets the one
    ``make test`` creates and drops, should both run at once on a developer's machine."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "anef"
    return urlunsplit(parts._replace(path=f"/{name}_mutation"))


def run_mutmut(globs: list[str], *, time_cap: float, max_children: int, log: Path) -> tuple[int | None, float]:
    """Runs mutmut on ``globs``; returns its exit status (None when the cap cut it) and the time taken."""
    env = dict(os.environ, ANEF_MUTATION="1", DJANGO_ALLOW_ASYNC_UNSAFE="true")
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not env["DATABASE_URL"].startswith("postgres"):
        sys.exit("mutation: DATABASE_URL must name a PostgreSQL database (docs/testing.md)")
    env["DATABASE_URL"] = mutation_database_url(env["DATABASE_URL"])
    command = [str(MUTMUT), "run", "--max-children", str(max_children), *globs]
    started = time.monotonic()
    # mutmut draws a spinner on every step: its output goes to the log, never to the terminal.
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            return process.wait(timeout=time_cap), time.monotonic() - started
        except subprocess.TimeoutExpired:
            # Ctrl-C: mutmut stops its workers and keeps the verdicts it has; then the group goes.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            return None, time.monotonic() - started


#: Under a time cap, a module with fewer mutants checked than this is reported, not judged: which of
#: its mutants the cap let through depends on the machine's load, and a handful is no score.
MIN_CHECKED_TO_JUDGE = 20


def score_table(paths: list[str], globs: list[str], threshold: float) -> tuple[list[str], list[str], list[str]]:
    """Returns the table's lines, the modules under the threshold and the surviving mutants."""
    lines = [f"{'module':<40} {'caught':>7} {'(timeouts)':>10} {'missed':>7} {'unchecked':>9} {'score':>7}",
             "-" * 85]
    failing, survivors = [], []
    total_caught = total_missed = 0
    for path in paths:
        meta = meta_path(path)
        if not meta.exists():
            continue
        verdicts = {key: code for key, code in json.loads(meta.read_text())["exit_code_by_key"].items()
                    if selected(key, globs)}
        if not verdicts:
            continue
        caught = sum(code in CAUGHT for code in verdicts.values())
        timeouts = sum(CAUGHT.get(code) == "timeout" for code in verdicts.values())
        missed = [key for key, code in verdicts.items() if code in MISSED or (
            code not in CAUGHT and code not in NOT_CHECKED)]  # "suspicious" counts as missed
        unchecked = len(verdicts) - caught - len(missed)
        survivors += sorted(f"{key}  ({MISSED.get(verdicts[key], 'suspicious')})" for key in missed)
        total_caught, total_missed = total_caught + caught, total_missed + len(missed)
        checked = caught + len(missed)
        score = 100.0 * caught / checked if checked else None
        judged = unchecked == 0 or checked >= MIN_CHECKED_TO_JUDGE
        if score is not None and score < threshold and judged:
            failing.append(module_of(path))
        shown = "-" if score is None else f"{score:.1f} %"
        note = "" if judged else "  (too few checked to judge)"
        lines.append(
            f"{module_of(path):<40} {caught:>7} {timeouts:>10} {len(missed):>7} {unchecked:>9} {shown:>7}{note}")
    checked = total_caught + total_missed
    overall = f"{100.0 * total_caught / checked:.1f} %" if checked else "-"
    lines += ["-" * 85, f"{'all':<40} {total_caught:>7} {'':>10} {total_missed:>7} {'':>9} {overall:>7}"]
    return lines, failing, survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("globs", nargs="*", help='mutant names or globs, e.g. "applications.clock.*"')
    parser.add_argument("--all", action="store_true", help="every module in scope")
    parser.add_argument("--base", help="git ref the changes are counted from (default: merge-base with main, "
                        "or HEAD~1 on main)")
    parser.add_argument("--time-cap", type=float, default=float(os.environ.get("MUTATION_TIME_CAP", 4 * 3600)),
                        help="seconds before the run is cut short and scored as it stands (env MUTATION_TIME_CAP)")
    parser.add_argument("--max-children", type=int, default=int(os.environ.get("MUTATION_JOBS", 2)),
                        help="mutants tested at once (env MUTATION_JOBS, default 2)")
    parser.add_argument("--threshold", type=float, default=85.0, help="lowest score a module may have, in %%")
    parser.add_argument("--log", type=Path, default=ROOT / "var" / "mutation.log", help="mutmut's output")
    args = parser.parse_args()

    patterns = scope_patterns()
    everything = scope_files(patterns)
    if args.globs:
        globs = args.globs
        paths = files_of_globs(globs, everything)
    else:
        paths = everything if args.all else changed_files(args.base or default_base(), patterns)
        globs = [glob_of(path) for path in paths]
    if not paths:
        print("mutation: no module in scope to check")
        return 0

    print(f"mutation: {len(paths)} module(s): {', '.join(module_of(path) for path in paths)}")
    print(f"mutation: time cap {args.time_cap:.0f} s, {args.max_children} at once, mutmut's output in {args.log}")
    args.log.parent.mkdir(parents=True, exist_ok=True)
    if not stats_are_sane():
        print("mutation: mutants/mutmut-stats.json had lost its test links (mutmut print-time-estimates): recollecting")
    forget_verdicts(paths, globs)
    status, elapsed = run_mutmut(globs, time_cap=args.time_cap, max_children=args.max_children, log=args.log)

    lines, failing, survivors = score_table(paths, globs, args.threshold)
    print("\n".join(lines))
    if survivors:
        print(f"\nsurviving mutants ({len(survivors)}; `.venv/bin/mutmut show <name>` shows one):")
        print("\n".join(f"  {name}" for name in survivors))
    minutes = f"{elapsed / 60:.1f} min"
    if status is None:
        print(f"\nmutation: time cap reached after {minutes}: the score counts the mutants checked so far")
    elif status != 0:
        print(f"\nmutation: mutmut failed (exit {status}) after {minutes}; its output ends with:")
        print("\n".join(args.log.read_text(errors="replace").replace("\r", "\n").splitlines()[-15:]))
        return 2
    else:
        print(f"\nmutation: done in {minutes}")
    if failing:
        print(f"mutation: under {args.threshold:.0f} %: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
