"""The Invoices table at the speed it needs, without changing what it says: each row's
toolbar reasons are the rules' own answers, and the page's queries do not grow with
its rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.firms.models import User
from facturier.invoicing import actions, permissions
from facturier.invoicing.models import Invoice
from facturier.web.availability import ROW_ACTIONS, Reasons, pay_reason, remind_reason

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(make_draft, alice, firm, make_client, template):
    """Drafts, finalized (sent or not), closed, a credit note; on an owned client and on
    one nobody owns."""
    other = make_client(firm, "Zeta Industries")
    other.owners.add(alice)
    alice._owned_client_ids = None
    drafts = [make_draft(), make_draft(client=other)]
    issued = [actions.finalize_invoice(make_draft(client=c), by=alice) for c in (None, other)]
    closed = actions.close_invoice(actions.finalize_invoice(make_draft(), by=alice), by=alice)
    Invoice.objects.filter(pk=issued[0].pk).update(sent_count=1)
    credit = actions.create_credit_note(issued[1], by=alice)
    # Alike in all but what they owe and when: overdue, paid, owing and not due yet.
    overdue, paid = (actions.finalize_invoice(make_draft(), by=alice) for _ in range(2))
    Invoice.objects.filter(pk=overdue.pk).update(due_date=datetime.date(2020, 1, 31))
    Invoice.objects.filter(pk=paid.pk).update(balance=0)
    other.owners.remove(alice)  # alice no longer owns it: her rights there change
    return [*drafts, *issued, closed, credit, overdue, paid]


def asked_row_by_row(user, invoice):
    sent = permissions.was_sent(invoice)
    reasons = {"pdf": "", "pay": pay_reason(user, invoice), "remind": remind_reason(user, invoice)}
    for name in ROW_ACTIONS:
        if name not in reasons:
            refusal = permissions.refusal(name, user, invoice, sent=sent)
            reasons[name] = refusal.hint if refusal is not None else ""
    return reasons


def test_each_rows_reasons_are_the_rules_answers(mixed, staff):
    ids = [i.pk for i in mixed]
    for user in staff.values():
        user = User.objects.get(pk=user.pk)
        why = Reasons(user)  # one per page: what it learns from a row serves the next
        for invoice in Invoice.objects.filter(pk__in=ids).order_by("pk"):
            assert why(invoice) == asked_row_by_row(user, invoice), (user, invoice.status)


def page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("billing:invoices"), {"status": ["draft", "finalized"]})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_pages_queries_do_not_grow_with_its_rows(client, alice, make_draft, template):
    client.force_login(alice)
    actions.finalize_invoice(make_draft(), by=alice)
    page_queries(client)  # the first view after signing in notes the session's last use
    few, _ = page_queries(client)
    for _ in range(6):
        actions.finalize_invoice(make_draft(), by=alice)
        make_draft()
    many, page = page_queries(client)
    assert page.count('name="ids"') == 13
    assert many == few
