"""End-to-end fixtures: the whole system on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.ci_skips import in_ci
from tests.e2e.system import ROOT, System

# CHROMIUM names the browser exactly (no fallback); else /usr/bin/chromium or the one on PATH.
CHROMIUM = os.environ.get("CHROMIUM", "").strip() or "/usr/bin/chromium"
if not os.environ.get("CHROMIUM", "").strip() and not Path(CHROMIUM).exists():
    CHROMIUM = shutil.which("chromium") or CHROMIUM
OUTPUT = ROOT / "test-output" / "e2e"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, tests only
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = (
    # axe checks the page at rest: an element htmx is loading is dimmed on purpose (.htmx-request)
    # for the moment of the request, so wait (up to 5 s) until no request, swap or settle is on.
    "async (tags) => { for (let i = 0; i < 50 && document.querySelector("
    "'.htmx-request, .htmx-swapping, .htmx-settling'); i++)"
    " await new Promise((ok) => setTimeout(ok, 100));"
    " const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
    " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
    " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})); }"
)


class Axe:
    """Runs axe-core on every page the test visits (after each load, and on the last page at
    the end) and keeps the WCAG 2.1 A/AA violations it finds, by page."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.violations: dict[str, list[dict[str, object]]] = {}
        self.checked: list[str] = []
        self._runs: list[asyncio.Task[None]] = []
        # One axe run at a time per page: axe-core refuses a second run while one is on
        # ("Axe is already running"), which a load during the final check could start.
        self._one_at_a_time = asyncio.Lock()
        page.on("load", lambda _: self._runs.append(asyncio.ensure_future(self.check())))  # type: ignore[attr-defined]

    async def check(self) -> None:
        pg = self.page
        async with self._one_at_a_time:
            url = pg.url  # type: ignore[attr-defined]
            found = await self._run(pg)
        if found is None:
            return
        self.checked.append(url)
        if found:
            self.violations.setdefault(url, []).extend(found)

    async def _run(self, pg: object) -> list[dict[str, object]] | None:
        """The page's violations (None: the page went away while axe ran)."""
        try:
            return await pg.evaluate(AXE_RUN, WCAG_AA)  # type: ignore[attr-defined]
        except Exception as exc:  # the page navigated on while axe ran: its next load is checked
            if "context was destroyed" in str(exc) or "navigat" in str(exc) or "closed" in str(exc):
                return None
            raise

    async def finish(self) -> None:
        await asyncio.gather(*self._runs, return_exceptions=False)
        await self.check()  # the last page, at rest


def _skip_reason() -> str | None:
    """Why the browser tests cannot run here (None: they run)."""
    if os.environ.get("DATABASE_URL", "").strip():
        return "e2e: run once, in the SQLite pass (the UI does not depend on the database kind)"
    return _missing()


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return (
            f"e2e: Chromium not found at {CHROMIUM} — install Debian's package "
            "(apt-get install chromium); .ci/run does this in CI"
        )
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "e2e: the playwright package is not installed (make install)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the browser tests; skip them where they cannot run, except in CI (``CI=1``), where
    a missing Chromium or Playwright fails every browser test instead: CI claims they ran."""
    reason = _skip_reason()
    missing_in_ci = reason is not None and reason == _missing() and in_ci()
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if missing_in_ci:
                item.add_marker(pytest.mark.e2e_missing_in_ci(reason))
            elif reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture (the whole system is not started for nothing)."""
    marker = item.get_closest_marker("e2e_missing_in_ci")
    if marker is not None:
        pytest.fail(f"CI=1 and the browser tests cannot run: {marker.args[0]}", pytrace=False)


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    sys_ = System(tmp_path_factory.mktemp("system"))
    try:
        yield sys_.up()
    finally:
        sys_.down()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        await b.close()


DEMO_LOGIN = ("demo-coordinator", "banso-demo-coordinator")  # demo-only, see docs/security.md


async def log_in(pg, login: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]) -> None:  # type: ignore[no-untyped-def]
    await pg.goto("/login")
    await pg.get_by_label("ログインID").fill(login)
    await pg.get_by_label("パスワード").fill(password)
    await pg.get_by_role("button", name="ログイン").click()
    await pg.wait_for_url(re.compile(r"/$"))


@pytest.fixture
async def page(browser, system: System, request: pytest.FixtureRequest) -> AsyncIterator[object]:
    context = await browser.new_context(
        base_url=system.url,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    await context.add_init_script(path=str(AXE))
    pg = await context.new_page()
    axe = Axe(pg)
    await log_in(pg)
    yield pg
    await axe.finish()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    await pg.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
    await context.close()
    assert axe.checked, "axe-core ran on the pages visited"
    assert not axe.violations, "WCAG 2.1 A/AA violations (axe-core):\n" + "\n".join(
        f"{url}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
        for url, vs in axe.violations.items()
        for v in vs
    )
