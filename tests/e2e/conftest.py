"""Browser tests: Playwright driving Debian's Chromium against the live server."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)


@pytest.fixture
def open_as(chromium, live_server, demo):
    """A logged-in page for a demo user, in a language and at a width."""
    contexts = []
    refused = []  # what the Content-Security-Policy blocked, or a script error

    def watch(page):
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on("pageerror", lambda error: refused.append(str(error)))

    def open_as(username, *, locale="fr-FR", width=1280, height=900):
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        context.on("page", watch)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "facturier-demo")
        page.click("main button[type=submit]")
        page.wait_for_url("**/billing/invoices/")
        page.base = live_server.url
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert refused == [], "blocked by the Content-Security-Policy, or a script error"


def shot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def outbox_worker(smtp_server):
    """A worker thread sending the outbox to the test SMTP server while the test runs."""
    from django.utils import timezone

    from facturier.invoicing import email_outbox
    from facturier.outbox import engine

    stop = threading.Event()

    def run():
        try:
            while not stop.is_set():
                for pk in engine.due(email_outbox.EMAILS.model, timezone.now()).values_list(
                    "pk", flat=True
                ):
                    email_outbox.deliver(pk)
                stop.wait(0.3)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield smtp_server
    stop.set()
    thread.join(timeout=10)
