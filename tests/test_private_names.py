"""A module never imports another module's private name (``_name``): what two modules share is a
documented public function of one of them (docs/architecture.md). Ruff's PLC2701 is not enough: it
lets the modules of one package share private names, as ``appointments/services/offers.py`` did with
``bookings.py``. The tests are not checked: they go through public services anyway (STYLE)."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project_modules() -> list[Path]:
    """Every Python file of the apps (import-linter's root packages), the benchmarks and scripts."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [*config["tool"]["importlinter"]["root_packages"], "bench", "scripts"]
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def private_imports(source: str) -> list[str]:
    """``from x import _name`` lines of ``source``, anywhere (inside functions too)."""
    return [
        f"{node.lineno}: from {'.' * node.level}{node.module or ''} import {alias.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]


def test_a_private_name_is_found_wherever_it_is_imported():
    source = (
        "from appointments.services.bookings import (\n    Subject,\n    _book,\n)\n"
        "from django.utils.translation import gettext as _\n"
        "from . import __version__\n"
        "def bench():\n    from documents.services import _pdf_context\n"
    )

    assert private_imports(source) == [
        "1: from appointments.services.bookings import _book",
        "8: from documents.services import _pdf_context",
    ]


def test_the_apps_the_benchmarks_and_the_scripts_are_checked():
    files = project_modules()

    assert ROOT / "appointments" / "services" / "offers.py" in files
    assert ROOT / "core" / "tasks.py" in files
    assert ROOT / "bench" / "applicant_pages.py" in files


def test_no_module_imports_another_modules_private_name():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in project_modules()
        for line in private_imports(path.read_text())
    ]

    assert found == []
