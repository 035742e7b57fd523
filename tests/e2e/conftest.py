"""A real browser for the user journeys: Playwright driving Debian's Chromium (Playwright's own
browser download is not used). Without Chromium the journeys are skipped on a laptop and fail
under CI, which installs it (.ci/run)."""

import os
import shutil
from pathlib import Path

import pytest

# The real Celery worker of the integration tests, consuming a queue of the test's own.
from tests.integration.conftest import start_worker, task_queue  # noqa: F401
from tests.processes import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "ci-artifacts" / "e2e"


@pytest.fixture
def allow_orm_beside_playwright(monkeypatch):
    # Playwright's synchronous API runs an event loop in this thread while the browser is open;
    # the test's own ORM reads (waiting for the worker, finding ids) are plain synchronous code
    # all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(live_server, allow_orm_beside_playwright):
    """Chromium for one test, started after the test database and the live server are up and
    closed before they are torn down (its event loop must not outlive the test)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is not installed at {CHROMIUM}; .ci/run installs it (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def screenshots(request):
    """Save a full-page screenshot of each step under ci-artifacts/e2e/<test>/ (CI keeps it)."""
    folder = SCREENSHOTS / request.node.originalname.removeprefix("test_")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    count = 0

    def take(page, name: str) -> Path:
        nonlocal count
        count += 1
        path = folder / f"{count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
