"""Aging as of any day: from dated payments and credit notes, not from today's state."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.invoicing import actions as invoicing
from facturier.receivables import actions
from facturier.receivables.aging import aging

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}
TODAY = datetime.date.today()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def issued(make_draft, alice, template):
    """Invoices of 120.00 issued `age` days ago with 30 days to pay."""

    def make(age: int):
        when = datetime.datetime.combine(days_ago(age), datetime.time(10), datetime.UTC)
        return invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice, now=when)

    return make


def buckets(result, currency="EUR"):
    return [str(amount) for amount in result.totals[currency].buckets]


def test_each_amount_falls_in_its_bucket(issued, alice):
    issued(10)  # due in 20 days: not yet due
    issued(45)  # 15 days late
    issued(100)  # 70 days late
    issued(200)  # 170 days late
    assert buckets(aging(user=alice, day=TODAY)) == [
        "120.00",
        "120.00",
        "0",
        "120.00",
        "120.00",
    ]


def test_a_past_day_shows_what_was_owed_then(issued, alice, client_entity):
    invoice = issued(60)
    actions.record_payment(by=alice, client=client_entity, amount="50.00", received_on=days_ago(5))
    today = aging(user=alice, day=TODAY)
    last_month = aging(user=alice, day=days_ago(20))
    assert today.rows[0].total == Decimal("70.00")
    assert last_month.rows[0].total == Decimal("120.00")  # the payment came after
    # Before it was issued, it was owed by no one.
    assert aging(user=alice, day=days_ago(61)).rows == []
    # A credit note counts from its own date.
    credit_note = invoicing.create_credit_note(
        invoice, by=alice, amounts=[{"vat_rate": "20", "amount": "10.00"}]
    )
    invoicing.finalize_invoice(credit_note, by=alice)
    assert aging(user=alice, day=TODAY).rows[0].total == Decimal("58.00")
    assert aging(user=alice, day=days_ago(1)).rows[0].total == Decimal("70.00")


def test_owners_see_their_clients_and_outsiders_nothing(issued, staff, make_firm, make_user):
    issued(40)
    assert aging(user=staff["owner_only"], day=TODAY).rows[0].total == Decimal("120.00")
    assert aging(user=staff["neither"], day=TODAY).rows == []
    outsider = make_user("eve", make_firm("Autre"), processing=True)
    assert aging(user=outsider, day=TODAY).rows == []


def test_the_page_its_drill_down_and_its_csv(client, issued, alice):
    invoice = issued(45)
    client.force_login(alice)
    page = client.get(reverse("billing:aging"), {"day": TODAY.isoformat()})
    assert page.status_code == 200 and "€120.00" in page.content.decode()
    drill = client.get(
        reverse("billing:aging"), {"day": TODAY.isoformat(), "client": invoice.client_id}
    )
    assert invoice.number in drill.content.decode()
    exported = client.get(reverse("billing:aging"), {"day": TODAY.isoformat(), "format": "csv"})
    assert exported.content.startswith("\ufeff".encode())  # as the other CSVs: Excel reads é
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Client" and rows[1][:2] == ["Client SA", "EUR"]
    assert rows[1][3] == "120.00" and rows[-1][0] == "Total"
    # Nonsense in the URL is ignored; a future day is today.
    assert client.get(reverse("billing:aging"), {"day": "2999-01-01"}).status_code == 200
    assert client.get(reverse("billing:aging"), {"day": "x", "client": "y"}).status_code == 200
