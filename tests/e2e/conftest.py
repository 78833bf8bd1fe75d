"""Browser tests: Playwright driving Debian's Chromium against the live server."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_otp.oath import totp

from facturier.web.management.commands.load_demo import DEMO_TOTP_KEY, TWO_FACTOR_MEMBER

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# axe-core, from the repository's package-lock.json (`npm ci`, which `make test` runs).
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Checks every page once loaded, and again whenever htmx swaps something in or a
# dialog or a menu opens; each run's violations go to window.__axeReport.
AXE_WATCH = """
(() => {
  if (window.top !== window || !window.axe) return;
  let running = false, again = false;
  async function check() {
    if (running) { again = true; return; }
    running = true;
    try {
      // What a user reads once a menu has faded in or a button has changed colour
      // (Pico's transitions), not a frame in between: they start at the next frame.
      await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
      await Promise.race([
        Promise.all(document.getAnimations().map(a => a.finished.catch(() => null))),
        new Promise(done => setTimeout(done, 1000)),
      ]);
      const result = await axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
      });
      window.__axeReport(location.pathname + location.search, result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary),
      })));
    } finally {
      running = false;
      if (again) { again = false; check(); }
    }
  }
  window.__axeCheck = check;
  window.addEventListener("load", check);
  document.addEventListener("htmx:afterSettle", check);
  document.addEventListener("toggle", check, true);  // a menu or the filters opened
  document.addEventListener("htmx:afterSwap", event => {
    if (event.detail.target.tagName === "DIALOG") check();
  });
})();
"""
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
    violations = []  # what axe-core found on a page or a dialog

    def watch(page):
        page.on("console", lambda message: refused.extend(console_errors(message)))
        page.on("pageerror", lambda error: refused.append(str(error)))
        page.on("response", lambda response: refused.extend(missing_parts(response)))

    def open_as(username, *, locale="fr-FR", width=1280, height=900):
        # Reduced motion: Pico then draws no transitions, and axe-core never measures a
        # colour halfway through one.
        context = chromium.new_context(
            locale=locale,
            viewport={"width": width, "height": height},
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        watch_accessibility(context, violations)
        context.on("page", watch)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "facturier-demo")
        page.click("main button[type=submit]")
        if username == TWO_FACTOR_MEMBER:  # the demo member with an authenticator app
            page.wait_for_url("**/login/code/")
            # load_demo spent this step's code: the next one (within the drift allowed)
            page.fill("input[name=code]", f"{totp(bytes.fromhex(DEMO_TOTP_KEY), drift=1):06d}")
            page.click("main button[type=submit]")
        page.wait_for_url("**/billing/invoices/")
        page.base = live_server.url
        return page

    yield open_as
    for context in contexts:
        for page in context.pages:  # the state the test ended on
            check_last_state(page)
        context.close()
    assert refused == [], "a console error: the CSP, a script, or a part of a page missing"
    assert violations == [], "axe-core (WCAG 2.1 AA):\n" + "\n".join(violations)


# What a page loads besides itself: a 404 among them is a console error a user sees in
# the developer tools, and a broken icon, style or script. A document's own 4xx (a
# refused form, a page the user may not see) is what a test asks for, not this.
PARTS = {"stylesheet", "script", "image", "font", "media", "manifest", "other"}


def missing_parts(response) -> list[str]:
    if response.status >= 400 and response.request.resource_type in PARTS:
        return [f"{response.status} {response.request.resource_type} {response.url}"]
    return []


def console_errors(message) -> list[str]:
    """Console errors: the browser's own words for what the CSP blocked or a script
    threw. "Failed to load resource" repeats a response `missing_parts` judges."""
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        return [message.text]
    if "Content Security Policy" in message.text:
        return [message.text]
    return []


def check_last_state(page):
    """axe-core on the page as the test left it (a navigation may still be under way)."""
    from playwright.sync_api import Error

    for _ in range(3):
        if page.is_closed():
            return
        try:
            page.wait_for_load_state("load")
            page.evaluate("() => window.__axeCheck && window.__axeCheck()")
            return
        except Error:  # its context went with a navigation: check the next page
            continue


def watch_accessibility(context, violations):
    """Run axe-core on every page and dialog state the context shows: each violation
    with its id, impact and nodes is added to `violations`."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (make test does)"

    def report(source, where, found):
        for violation in found:
            nodes = "\n      ".join(violation["nodes"][:5])
            line = f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}"
            if f"{line}\n      {nodes}" not in violations:
                violations.append(f"{line}\n      {nodes}")

    context.expose_binding("__axeReport", report)
    context.add_init_script(path=str(AXE))
    context.add_init_script(script=AXE_WATCH)


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
