"""``make check-all``: every quality gate of the portal, one after the other, then a table of what
passed and failed (issue 17). Exit status 1 when any gate failed.

    make check-all               lint, tests, matrix, security, accessibility, pip-audit
    make check-all LOAD=1        ... and the load test (bench/load.py, several minutes)
    make check-all GATES=matrix,security     only these gates

Each gate is a command; its output streams as it runs. The whole suite ("tests") leaves out what
the other gates run, so nothing runs twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

PYTEST = [".venv/bin/pytest", "-q", "-p", "no:cacheprovider"]
SECURITY = ["tests/security", "tests/applications/test_uploads.py"]
E2E = "tests/e2e"

GATES: dict[str, tuple[str, list[str]]] = {
    "lint": ("ruff, import contracts, migrations, mypy", ["make", "--no-print-directory", "lint"]),
    "messages": ("every interface text translated", ["make", "--no-print-directory", "check-messages"]),
    "tests": ("the test suite (without the gates below)",
              [*PYTEST, "tests", "--ignore", "tests/security", "--ignore", E2E,
               "--deselect", "tests/applications/test_uploads.py"]),
    "matrix": ("authorisation matrix: every route x every role, headers, CSRF",
               [*PYTEST, "tests/security/test_authz_matrix.py"]),
    "security": ("security battery: check --deploy, redirects, enumeration, uploads, logs, PDF",
                 [*PYTEST, *SECURITY, "--deselect", "tests/security/test_authz_matrix.py",
                  "-k", "not test_no_known_vulnerability"]),
    "accessibility": ("browser journeys with axe (FR/EN), keyboard, zoom and phone", [*PYTEST, E2E]),
    "pip-audit": ("known vulnerabilities in uv.lock",
                  [*PYTEST, "tests/security/test_battery.py", "-k", "test_no_known_vulnerability", "-rs"]),
    "load": ("locust: 50 users then the ramp to saturation (docs/benchmarks.md)",
             [".venv/bin/python", "bench/load.py"]),
}


def main() -> int:
    wanted = [g for g in os.environ.get("GATES", "").split(",") if g] or [
        g for g in GATES if g != "load" or os.environ.get("LOAD")]
    unknown = set(wanted) - set(GATES)
    if unknown:
        print(f"unknown gates: {sorted(unknown)}; known: {', '.join(GATES)}", file=sys.stderr)
        return 2
    env = {**os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}
    results = []
    for name in wanted:
        what, command = GATES[name]
        print(f"\n=== {name}: {what}\n$ {' '.join(command)}", flush=True)
        started = time.monotonic()
        code = subprocess.call(command, env=env)  # noqa: S603 (our own fixed commands)
        results.append((name, what, code, time.monotonic() - started))
    print("\n| gate | what | result | time |\n|---|---|---|---|")
    for name, what, code, seconds in results:
        print(f"| {name} | {what} | {'PASS' if code == 0 else f'FAIL ({code})'} | {seconds:.0f} s |")
    failed = [name for name, _what, code, _s in results if code]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
