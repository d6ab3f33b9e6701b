"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Every page a journey visits is screenshotted into ``test-results/screenshots/<test>/`` and checked
with axe-core against WCAG 2.2 AA (the RGAA's technical basis).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

# Playwright's sync API keeps an event loop running in the main thread; Django refuses ORM calls
# from a thread with a running loop unless told this is fine (it is: nothing here is async).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS_DIR = REPO_ROOT / "test-results" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items):
    # Collection hooks see every item of the session, so keep to the tests of this folder.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _missing_tool(message: str) -> None:
    """On CI a missing browser or axe-core is a broken build; on a laptop, a reason to skip."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not CHROMIUM.exists():
        _missing_tool(
            f"Browser journeys need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium"
        )
    return {
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "locale": "fr-FR",
    }


@pytest.fixture(autouse=True)
def _no_console_errors(page: Page):
    """A page that logs an error (a script blocked by the CSP, a failing asset) fails the journey."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{message.location.get('url')}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert not errors, "Errors in the browser console:\n" + "\n".join(errors)


def axe_violations(page: Page) -> list[dict]:
    # Evaluated through the DevTools protocol, which the page's CSP (scripts by nonce only) does
    # not govern, so the journeys run under the real policy.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return result["violations"]


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
        more = len(violation["nodes"]) - len(targets)
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"    {violation['helpUrl']}\n"
            f"    on: {', '.join(targets)}" + (f" and {more} more" if more > 0 else "")
        )
    return "\n".join(lines)


@pytest.fixture
def axe_check() -> Callable[[Page], None]:
    """``axe_check(page)``: fails with every WCAG 2.x A/AA violation axe-core finds on the page."""
    if not AXE_JS.exists():
        _missing_tool(
            f"axe-core is missing at {AXE_JS}: run `npm ci` (it is pinned in package.json)"
        )

    def check(page: Page) -> None:
        violations = axe_violations(page)
        assert not violations, format_violations(page.url, violations)

    return check


@pytest.fixture
def screenshot(request) -> Callable[[Page, str], Path]:
    """``screenshot(page, label)``: saves ``<NN>-<label>.png`` for this test, numbered in order."""
    folder = SCREENSHOTS_DIR / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):  # a rerun replaces the previous run's pictures
        old.unlink()
    counter = 0

    def save(page: Page, label: str) -> Path:
        nonlocal counter
        counter += 1
        slug = re.sub(r"[^\w.-]+", "-", label)
        path = folder / f"{counter:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def visited(axe_check, screenshot) -> Callable[[Page, str], None]:
    """``visited(page, label)``: screenshot of the page, then its accessibility check."""

    def record(page: Page, label: str) -> None:
        page.wait_for_load_state("load")
        screenshot(page, label)  # first, so a failing check still leaves the picture behind
        axe_check(page)

    return record


def blank_pdf(path) -> str:
    """A one-page blank PDF at ``path`` (a valid piece to upload); returns the path as a string."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)
