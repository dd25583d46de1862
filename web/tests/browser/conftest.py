"""Playwright driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: it uses /usr/bin/chromium (CI installs Debian's package). Without it the browser
tests skip with the reason, except under CI=true, where a missing browser is a failure.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}



def pytest_collection_modifyitems(config, items):
    # Under CI=true nothing is skipped: the `chromium` fixture fails the tests instead.
    if CHROMIUM.exists() or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: install Debian's chromium package to run them")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module", autouse=True)
def allow_orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in this thread, so Django takes the test's own
    (synchronous) ORM calls for async ones. Allowed around the browser tests only, never in the process at
    large: `check --deploy` in another test refuses a process that has it set. Module-scoped, so it also
    covers the database flush after each test."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Module-scoped: the event loop Playwright leaves running must be gone before the next module's tests.
@pytest.fixture(scope="module")
def chromium(django_db_setup):
    # Depends on the test database so it is created before Playwright starts and dropped after it stops.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing and CI=true: the browser tests must run in CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """`open_page()` gives a fresh browser context (its own cookies) on the live server, at desktop width."""
    contexts = []

    def make():
        context = chromium.new_context(base_url=live_server.url, viewport=DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    """Save the page at desktop and phone widths, so each can be looked at after the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
