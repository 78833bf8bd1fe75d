"""One visibility rule (invoicing.permissions.visible_invoices) for every page, export
and document that lists invoices: a client's owner without the processing permission
does not see its closed invoices anywhere."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from facturier.invoicing import actions
from facturier.receivables.aging import owed_on
from facturier.receivables.overview import overview
from facturier.receivables.selectors import account_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(make_draft, alice, template):
    """An open invoice and a closed one of the shared client."""
    open_one = actions.finalize_invoice(make_draft(), by=alice)
    closed = actions.close_invoice(actions.finalize_invoice(make_draft(), by=alice), by=alice)
    return open_one, closed


@pytest.fixture
def bob(staff):
    return staff["owner_only"]  # owns the client, may not process invoices


@pytest.fixture
def browser(client, bob):
    client.force_login(bob)
    return client


def test_the_statement_of_account(books, bob, client_entity):
    open_one, closed = books
    today = timezone.localdate()
    statement = account_statement(
        client_entity, "EUR", today.replace(month=1, day=1), today, user=bob
    )
    numbers = [entry.document for entry in statement.entries]
    assert open_one.number in numbers and closed.number not in numbers
    assert statement.opening == 0


def test_the_statement_of_account_pdf(books, browser, client_entity, monkeypatch):
    from facturier.receivables import actions as receivables

    open_one, closed = books
    seen = []
    real = receivables.statement_of_account_pdf

    def capture(statement, **kwargs):
        seen.extend(entry.document for entry in statement.entries)
        return real(statement, **kwargs)

    monkeypatch.setattr(receivables, "statement_of_account_pdf", capture)
    today = timezone.localdate()
    url = reverse("billing:statement_pdf", args=[client_entity.pk])
    response = browser.get(url, {"start": today.replace(month=1, day=1), "end": today})
    assert response.status_code == 200
    assert open_one.number in seen and closed.number not in seen


def test_the_aging(books, bob):
    open_one, closed = books
    owed = set(owed_on(user=bob, day=timezone.localdate(), owing_only=False))
    assert open_one in owed and closed not in owed


def test_the_overview(books, bob, alice):
    open_one, closed = books
    day = timezone.localdate()
    mine = overview(user=bob, day=day, currency="EUR").aging.totals["EUR"].total
    everything = overview(user=alice, day=day, currency="EUR").aging.totals["EUR"].total
    assert mine == open_one.balance < everything


def test_the_documents_export(books, browser):
    open_one, closed = books
    today = timezone.localdate()
    response = browser.get(
        reverse("billing:exports"),
        {"kind": "documents", "start": today - datetime.timedelta(days=1), "end": today},
    )
    content = b"".join(response.streaming_content).decode() if response.streaming else ""
    assert closed.number not in content
    if response.status_code == 200 and response.streaming:
        assert open_one.number in content


def test_the_client_account(books, browser, client_entity):
    open_one, closed = books
    response = browser.get(reverse("billing:client_account", args=[client_entity.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert open_one.number in page and closed.number not in page


def test_the_invoice_list_and_the_api(books, browser, bob, api_for):
    open_one, closed = books
    page = browser.get(reverse("billing:invoices")).content.decode()
    assert open_one.number in page and closed.number not in page
    listed = api_for(bob).get("/api/v1/invoices/").json()
    numbers = [row["number"] for row in listed["results"]]
    assert open_one.number in numbers and closed.number not in numbers


def test_the_closed_filter_asked_without_the_right_is_said_to_be_left_out(books, browser):
    """A link or a typed address asking bob's list for closed invoices: none shown, and
    the page says why instead of silently listing the others."""
    open_one, closed = books
    url = reverse("billing:invoices") + "?status=closed"
    page = browser.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode().replace("&#x27;", "'")
    assert closed.number not in page
    assert "le filtre Fermée est ignoré" in page
    assert (
        "le filtre Fermée est ignoré"
        not in browser.get(reverse("billing:invoices")).content.decode()
    )
