"""Fails when the English translation is not complete or not up to date with the code.

Runs ``makemessages`` for English (French is the source language), then requires that the catalogue
did not change (every string of the code is in it, none is stale) and that no entry is untranslated
or fuzzy. Fix with ``make messages-update``, then translate what it reports.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MAKEMESSAGES = [
    sys.executable, "manage.py", "makemessages", "--locale", "en", "--no-location", "--no-obsolete",
    "--ignore", ".venv", "--ignore", "node_modules", "--ignore", "var", "--ignore", "tests",
    "--ignore", "bench",
]


def _entries(text: str) -> str:
    # The header carries a creation date that changes on every run; compare the entries only.
    return text.split("\n\n", 1)[1] if "\n\n" in text else ""


def main() -> int:
    before = PO.read_text(encoding="utf-8") if PO.exists() else ""
    subprocess.run(MAKEMESSAGES, cwd=ROOT, check=True, capture_output=True)
    after = PO.read_text(encoding="utf-8")
    problems = []
    if _entries(before) != _entries(after):
        problems.append(f"{PO.relative_to(ROOT)} was not up to date with the code (now updated).")
    untranslated = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", str(PO)], capture_output=True, text=True, check=True
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", str(PO)], capture_output=True, text=True, check=True
    ).stdout
    for label, output in (("untranslated", untranslated), ("fuzzy", fuzzy)):
        ids = [m for m in re.findall(r'^msgid "(.+)"$', output, flags=re.M)]
        if ids:
            problems.append(f"{len(ids)} {label} entries, e.g.: " + "; ".join(ids[:5]))
    if problems:
        print("Translations are not complete:\n- " + "\n- ".join(problems))
        return 1
    print(f"Translations complete: {after.count(chr(10) + 'msgid ') - 1} entries in {PO.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
