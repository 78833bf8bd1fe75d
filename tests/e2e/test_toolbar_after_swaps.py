"""More actions after htmx swaps the list in: every entry keeps its label and posts its
own action, whatever reloaded the list (a filter, the search, the sort, a page)."""

import re
from contextlib import contextmanager
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from facturier.firms.models import User
from facturier.invoicing import actions
from facturier.invoicing.models import Invoice

pytestmark = pytest.mark.e2e

LISTED = "/billing/invoices/?status=finalized&status=closed"
# Each entry of More actions, as it reads in French, and the action it posts.
ENTRIES = {
    "send": "Envoyer les factures sélectionnées",
    "resend": "Renvoyer",
    "pdf": "Afficher le PDF",
    "pay": "Enregistrer un paiement",
    "remind": "Envoyer une relance",
    "credit": "Créer un avoir",
    "close": "Fermer",
    "reopen": "Revenir à Finalisé",
}


@contextmanager
def list_swapped(page):
    """Waits, after the block, until htmx has swapped the list in and settled."""
    page.evaluate(
        """() => { window.listSettled = new Promise(done => document.addEventListener(
            "htmx:afterSettle", event => event.detail.target.id === "invoice-table" && done()));
        }"""
    )
    yield
    page.evaluate("() => window.listSettled")


def filter_by_status(page):
    page.goto(page.base + "/billing/invoices/?status=finalized")  # the filters show open
    with list_swapped(page):
        page.locator("input[name=status][value=closed]").check()


def search(page):
    page.goto(page.base + LISTED)
    with list_swapped(page):
        page.get_by_label("Recherche").fill("e")
    with list_swapped(page):
        page.get_by_label("Recherche").blur()  # its change reloads the list once more


def sort(page):
    page.goto(page.base + LISTED)
    with list_swapped(page):
        page.get_by_label("Tri").select_option("-balance")


def next_page(page):
    page.goto(page.base + LISTED + "&sort=client")
    page.get_by_role("link", name=re.compile("Suivante")).click()
    expect(page).to_have_url(re.compile(r"page=2"))


def answer_bulk_posts(page):
    """What the toolbar posts, answered with 204 so the list stays as it is."""
    page.route("**/billing/invoices/selected/", lambda route: route.fulfill(status=204))


def press(page, entry) -> str:
    """Press a toolbar entry: the action it posts."""
    with page.expect_request("**/billing/invoices/selected/") as request:
        entry.click()
    return parse_qs(request.value.post_data)["action"][0]


@pytest.mark.parametrize("swap", [filter_by_status, search, sort, next_page])
def test_every_more_actions_entry_works_after_the_list_reloads(open_as, swap):
    vary_each_client()
    page = open_as("alice", locale="fr-FR")
    swap(page)
    answer_bulk_posts(page)
    for action, label in ENTRIES.items():
        if action == "resend":
            continue  # on the one sent invoice it applies to, the first entry offers it
        applies = page.locator(f'table.invoices input[name=ids][data-why-{action}=""]')
        assert applies.count(), f"no invoice listed that {action} applies to"
        entry = choose(page, applies.first, action.capitalize())
        expect(entry).to_have_text(label)
        assert press(page, entry) == action
    # One invoice already sent: the first entry offers its Resend, and posts it.
    sent = page.locator(
        'table.invoices input[name=ids][data-why-resend=""]:not([data-why-send=""])'
    )
    assert sent.count(), "no sent invoice listed"
    entry = choose(page, sent.first, "Send")
    expect(entry).to_have_text(ENTRIES["resend"])
    # ... in place of the Resend item, so that the menu reads one "Renvoyer", not two.
    expect(page.locator("details.dropdown button[data-action=Resend]")).to_be_hidden()
    assert press(page, entry) == "resend"
    # A never-sent one again: the first entry reads and posts as itself.
    entry = choose(
        page, page.locator('table.invoices input[name=ids][data-why-send=""]').first, "Send"
    )
    expect(entry).to_have_text(ENTRIES["send"])
    expect(entry).to_have_attribute("value", "send")
    assert press(page, entry) == "send"


def choose(page, box, action):
    """Only `box` ticked, More actions open: its entry for `action`, enabled."""
    page.locator("table.invoices input[name=ids]:checked").evaluate_all(
        "boxes => boxes.forEach(b => { b.checked = false; })"
    )
    menu = page.get_by_role("button", name="Plus d'actions")
    if page.locator("details.dropdown[open]").count():
        menu.click()  # closed: it covers the rows
    box.check()
    menu.click()
    entry = page.locator(f"details.dropdown button[data-action={action}]")
    expect(entry).to_be_enabled()
    return entry


def vary_each_client():
    """Of each client's finalized invoices, the newest as if sent and the next closed:
    every list below shows an invoice that each action applies to."""
    alice = User.objects.get(username="alice")
    finalized = Invoice.objects.filter(
        status="finalized", firm__name__startswith="Cabinet", kind="invoice"
    )
    per_client = {}
    for invoice in finalized.order_by("client_id", "-number"):
        per_client.setdefault(invoice.client_id, []).append(invoice)
    for newest, following, *_ in (i for i in per_client.values() if len(i) > 1):
        Invoice.objects.filter(pk=newest.pk).update(sent_count=1)
        actions.close_invoice(following, by=alice)
