"""Every change of stored state goes through an action.

These tests walk every page of the web app (each URL pattern, GET and POST), every
API operation, the admin's pages and the management commands, as each kind of
user, and watch every SQL statement: a write to a domain table (any table of an app
of the facturier package) made outside an action fails them, and so does any write
made by a GET request, except the one documented exception (the first view of a
finalized invoice's PDF stores it).

A new URL pattern is walked without being listed here; one whose arguments the
walker cannot fill fails the test, so it gets added.
"""

import datetime
import re
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from facturier.access.models import Invitation
from facturier.clients.models import Contact
from facturier.core.actions import in_action
from facturier.einvoicing.models import EReport, Platform, Transmission
from facturier.engagements.letter_models import EngagementLetter, LetterTemplate
from facturier.engagements.models import Budget, Engagement
from facturier.firms.models import User
from facturier.invoicing.models import EmailDelivery, Invoice, InvoiceTemplate
from facturier.portal.models import PortalAccess
from facturier.receivables import actions as receivables
from facturier.receivables.models import (
    Allocation,
    BankStatement,
    DebitBatch,
    Letter,
    Mandate,
    Payment,
)
from facturier.work.models import Entry
from tests.receivables import camt

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# Tables of facturier's apps that something other than an action may write, with why.
# (The outbox has no table of its own: each delivery lives in its app and is written
# by that app's record actions and the worker's claim/release actions, so it is watched.)
NOT_DOMAIN: dict[str, str] = {}


def domain_tables() -> frozenset[str]:
    """Every table of every app of the facturier package, many-to-many ones included:
    an app is watched the day it is installed, without being named here."""
    tables = {
        model._meta.db_table
        for config in apps.get_app_configs()
        if config.name.startswith("facturier.")
        for model in config.get_models(include_auto_created=True)
    }
    return frozenset(tables - NOT_DOMAIN.keys())


# Django's login records the time of the last login itself; nothing else escapes.
ALLOWED = [re.compile(r'^\s*UPDATE\s+"?firms_user"?\s+SET\s+"?last_login"?', re.IGNORECASE)]
# The first view of a finalized invoice's PDF stores it (inside an action).
GET_MAY_WRITE = {"invoicing_invoicepdf"}


class WriteWatch:
    def __init__(self, domain: frozenset[str] | None = None):
        self.domain = domain_tables() if domain is None else domain
        self.outside: list[str] = []
        self.by_get: list[str] = []
        self.method = ""
        self.where = ""

    def __call__(self, execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and match[1] in self.domain and not any(a.match(sql) for a in ALLOWED):
            what = f"{self.where}: {sql[:140]}"
            if not in_action():
                self.outside.append(what)
            if self.method == "GET" and match[1] not in GET_MAY_WRITE:
                self.by_get.append(what)
        return execute(sql, params, many, context)

    @contextmanager
    def during(self, method: str, where: str):
        self.method, self.where = method, where
        try:
            yield
        finally:
            self.method = self.where = ""


@pytest.fixture
def watch():
    watcher = WriteWatch()
    with connection.execute_wrapper(watcher):
        yield watcher
    assert watcher.outside == [], "writes outside an action"
    assert watcher.by_get == [], "writes made by a GET"


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    users = {u.username: u for u in User.objects.all()}
    # What the demo has none of, so that their pages are walked with a real row too:
    # an imported bank statement and a letter (a statement of account).
    bank_file = camt.statement(camt.entry("10.00", text="x"))
    receivables.import_bank_statement(by=users["alice"], data=bank_file)
    client = Invoice.objects.filter(firm=users["alice"].firm).first().client
    receivables.send_statement_of_account(
        client, by=users["alice"], start=datetime.date(2026, 1, 1), end=timezone.localdate()
    )
    return users


def _patterns(resolvers, prefix=""):
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _first(model, **filters) -> list[int]:
    """The first row's pk, and one that does not exist (a 404 must not write either)."""
    row = model.objects.filter(**filters).order_by("pk").first()
    return ([row.pk] if row is not None else []) + [999999]


def _objects():
    firm_invoices = Invoice.objects.filter(firm__name__startswith="Cabinet")
    return {
        "invoice": [
            firm_invoices.filter(status=s).order_by("pk").first().pk
            for s in ("draft", "finalized", "closed")
        ],
        "template": [InvoiceTemplate.objects.order_by("pk").first().pk],
        "delivery": _first(EmailDelivery),
        "client": [firm_invoices.first().client_id],
        "token": [1, 999999],
        "payment": _first(Payment),
        "allocation": [Allocation.objects.order_by("pk").first().pk],
        "entry": [
            *_first(Entry, state=Entry.State.UNBILLED, firm__name__startswith="Cabinet")[:1],
            *_first(Entry, state=Entry.State.BILLED),
        ],
        "letter": _first(Letter),
        "transmission": _first(Transmission),
        "statement": _first(BankStatement),
        "ereport": _first(EReport),
        # dave: no rights to lose when the walk edits, deactivates and reactivates him.
        "member": _first(User, username="dave"),
        "invitation": _first(Invitation),
        "engagement": _first(Engagement),
        "engagement_letter": _first(EngagementLetter),
        "letter_template": _first(LetterTemplate),
        "budget": _first(Budget),
        "contact": _first(Contact, client__firm__name__startswith="Cabinet"),
        "mandate": _first(Mandate),
        "debit_batch": _first(DebitBatch),
        "portal_access": _first(PortalAccess),
        "passkey": [1, 999999],  # none in the demo: refused, nothing written
    }


# The folder a URL's <pk> follows says what the pk is.
KINDS = {
    "invoices": "invoice",
    "credit-notes": "invoice",
    "templates": "template",
    "deliveries": "delivery",
    "clients": "client",
    "wip": "client",
    "tokens": "token",
    "payments": "payment",
    "allocations": "allocation",
    "time": "entry",
    "entries": "entry",
    "letters": "letter",
    "transmissions": "transmission",
    "statements": "statement",
    "staff": "member",
    "invitations": "invitation",
    "engagements": "engagement",
    "engagement-letters": "engagement_letter",
    "letter-templates": "letter_template",
    "budgets": "budget",
    "ereporting": "ereport",
    "ereports": "ereport",
    "contacts": "contact",
    "mandates": "mandate",
    "debit-batches": "debit_batch",
    "accesses": "portal_access",
    "passkeys": "passkey",
}

# Routes whose arguments are not ids: a link never issued, walked as such.
LINKS = {
    "invitations/<str:token>/": ["/invitations/no-such-link/"],
    "password/reset/<uidb64>/<token>/": ["/password/reset/MQ/no-such-token/"],
    "portal/link/<str:token>/": ["/portal/link/no-such-link/"],
}


def _kind(route: str) -> str:
    folder = re.search(r"([\w-]+)/<(?:\w+:)?pk>", route)
    assert folder and folder[1] in KINDS, f"the walker cannot fill {route}"
    return KINDS[folder[1]]


def app_urls():
    """Every URL of the web app and the API (the admin is walked from its registry)."""
    objects = _objects()
    urls = []
    for route, _pattern in _patterns(get_resolver().url_patterns):
        if route.startswith("admin/") or "(?P<format>" in route or route.startswith("^"):
            continue
        names = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        if route in LINKS:
            urls.extend(LINKS[route])
            continue
        if not names:
            urls.append("/" + route)
            continue
        if [n for _conv, n in names] == ["key"]:  # a platform's webhook address
            for key in [*Platform.objects.values_list("webhook_key", flat=True), "x" * 43]:
                urls.append("/" + re.sub(r"<(?:\w+:)?key>", key, route))
            continue
        assert [n for _conv, n in names] == ["pk"], f"the walker cannot fill {route}"
        for pk in objects[_kind(route)]:
            urls.append("/" + re.sub(r"<(?:\w+:)?pk>", str(pk), route))
    return urls


POST_BODIES = [
    {},
    {"action": "close", "ids": ["1", "2", "3"]},
    {"action": "reopen", "ids": ["1", "2", "3"]},
    {"action": "delete", "ids": ["40", "41"]},
    {"action": "send", "ids": ["20"], "subject": "Facture {number}", "message": "Bonjour"},
    {
        "ids": ["20"],
        "mode": "send",
        "subject": "Facture {number}",
        "message": "Bonjour",
        "to": "compta@client.example",
    },
    {"template": "", "then": ""},
    {"action": "pay", "ids": ["20", "21"]},
    {"ids": ["20"], "received_on": "2026-01-05", "amount": "10", "method": "transfer"},
    {"client": "1", "received_on": "2026-01-05", "amount": "10", "method": "cheque"},
    {"action": "allocate"},
    {"action": "refund", "amount": "1"},
    {"action": "unallocate", "allocation": "1"},
    # Time: an entry recorded or changed, hours spread over a week, WIP billed.
    {
        "kind": "time",
        "client": "1",
        "work_code": "COMPTA",
        "day": "2026-01-05",
        "hours": "1.5",
        "description": "Conseil",
        "billable": "on",
    },
    {
        "client": "1",
        "work_code": "FISC",
        "total": "4",
        "start": "2026-01-05",
        "end": "2026-01-09",
        "weekdays": ["0", "2"],
    },
    {"bill": "interim", "allocation": "pro_rata", "grouping": "work_code"},
    # Engagements: the billing run, an end, a new engagement with one mission.
    {"as_of": "2026-03-01", "end_date": "2026-12-31"},
    {
        "reference": "LM-9",
        "client": "1",
        "responsible": "1",
        "start_date": "01/01/2026",
        "tacit_renewal": "on",
        "notice_months": "3",
        "payment_method": "transfer",
        "indexation": "none",
        "mission-0-name": "Paie",
        "mission-0-fee_kind": "fixed",
        "mission-0-annual_fee": "1200",
        "mission-0-vat_rate": "20",
        "mission-0-frequency": "monthly",
        "mission-0-timing": "advance",
        "mission-0-billing_day": "1",
    },
    {
        "name": "Jeton",
        "language": "fr",
        "client": "1",
        "line_description": ["x"],
        "line_unit_price": ["10"],
        "line_quantity": ["1"],
        "line_vat_rate": ["20"],
        "line_discount_percent": [""],
    },
]


def test_every_page_and_form_writes_through_actions(client, demo, watch):
    urls = app_urls()
    assert len(urls) > 30
    for username in ("alice", "bob", "carol", "dave", "erin", "admin"):
        client.force_login(demo[username])
        for url in urls:
            with watch.during("GET", f"{username} GET {url}"):
                response = client.get(url)
            assert response.status_code < 500, (username, url)
            if url.startswith("/api/schema") or url.startswith("/api/docs"):
                continue
            for body in POST_BODIES:
                with watch.during("POST", f"{username} POST {url} {body}"):
                    response = client.post(url, body)
                assert response.status_code < 500, (username, url, body)
        client.logout()
    with watch.during("POST", "login"):
        client.post("/login/", {"username": "alice", "password": "facturier-demo"})


def test_every_api_operation_writes_through_actions(demo, watch, api_for):
    objects = _objects()
    for username in ("alice", "bob", "carol", "dave", "erin"):
        api = api_for(demo[username])
        for url in app_urls():
            if not url.startswith("/api/v1/"):
                continue
            with watch.during("GET", f"{username} GET {url}"):
                assert api.get(url).status_code < 500
            body = {
                "name": "Nouveau",
                "client": objects["client"][0],
                "subject": "Facture {number}",
                "message": "Bonjour",
                "notes": "x",
                "invoices": objects["invoice"],
                "lines": [{"description": "Conseil", "unit_price": "100"}],
                "received_on": "2026-01-05",
                "amount": "10.00",
                "allocations": [{"invoice": objects["invoice"][1]}],
            }
            for method in ("post", "patch", "delete"):
                with watch.during(method.upper(), f"{username} {method} {url}"):
                    assert getattr(api, method)(url, body, format="json").status_code < 500


def test_the_admin_writes_through_actions(client, demo, watch):
    from django.contrib import admin

    client.force_login(demo["admin"])
    for model in admin.site._registry:
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        first = model.objects.order_by("pk").first()
        pages = [base, f"{base}add/"]
        if first is not None:
            pages += [f"{base}{first.pk}/change/", f"{base}{first.pk}/delete/"]
        for url in pages:
            with watch.during("GET", f"admin GET {url}"):
                assert client.get(url).status_code < 500, url
    # Saving through the admin: a client with its owners and contacts, a firm, a draft deleted.
    invoice = Invoice.objects.filter(status="draft").first()
    target = invoice.client
    form = {
        "name": target.name + " (renamed)",
        "address_line1": target.address_line1,
        "postal_code": target.postal_code,
        "city": target.city,
        "country": target.country,
        "language": target.language,
        "currency": target.currency,
        "owners": [demo["alice"].pk],
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Compta",
        "contacts-0-email": "compta@renamed.example",
        "contacts-0-is_billing": "on",
    }
    with watch.during("POST", "admin saves a client"):
        response = client.post(f"/admin/clients/client/{target.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.name.endswith("(renamed)")
    assert [c.email for c in target.contacts.all()] == ["compta@renamed.example"]
    from facturier.firms.models import AuditEvent

    assert AuditEvent.objects.filter(action="client.changed", target_id=str(target.pk)).exists()
    # Deleting a draft in the admin is the delete action, with its rules: the admin
    # user owns no client, so the draft stays and the page says why.
    with watch.during("POST", "admin deletes a draft"):
        response = client.post(
            f"/admin/invoicing/invoice/{invoice.pk}/delete/", {"post": "yes"}, follow=True
        )
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    assert "You are not an owner of this client." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_management_commands_write_through_actions(watch, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with watch.during("COMMAND", "load_demo"):
        call_command("load_demo", verbosity=0)
    with watch.during("COMMAND", "create_api_token"):
        call_command("create_api_token", "alice", stdout=open(tmp_path / "token", "w"))
    from facturier.invoicing import actions

    alice = User.objects.get(username="alice")
    invoice = Invoice.objects.filter(status="finalized", firm=alice.firm, sent_count=0).first()
    actions.send_invoices([invoice], by=alice, subject="Facture {number}", message="Bonjour")
    with watch.during("COMMAND", "outbox_worker"):
        call_command("outbox_worker", once=True)
    assert Invoice.objects.get(pk=invoice.pk).sent_count == 1
    with watch.during("COMMAND", "bill_engagements"):
        call_command("bill_engagements", "alice", stdout=open(tmp_path / "run", "w"))
    assert "draft" in (tmp_path / "run").read_text()
