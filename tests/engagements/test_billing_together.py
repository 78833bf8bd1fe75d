"""A run bills most engagements together (one INSERT per table for a batch): the rows
are those billing each alone writes, and a batch another run got ahead of is billed
alone, each period once."""

import datetime
from collections import defaultdict

import pytest
from django.db import transaction

from facturier.core.actions import unit_of_work
from facturier.core.errors import Invalid
from facturier.engagements import actions
from facturier.engagements.actions import billing, together
from facturier.engagements.models import BilledPeriod, RunFailure
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing_actions
from facturier.invoicing.models import Invoice

D = datetime.date
NOW = datetime.datetime(2027, 3, 10, 9, tzinfo=datetime.UTC)
UNWRITTEN = {"id", "created_at", "updated_at"}


@pytest.fixture
def two_clients(make_engagement, make_client, alice, firm):
    """Two engagements of two clients, a monthly fee each; alice owns both."""
    other = make_client(firm, name="Autre SARL")
    other.owners.add(alice)
    make_engagement()
    make_engagement(reference="LM-2", client=other, payment_terms_days=45)
    return type(alice).objects.get(pk=alice.pk)


def _row(instance, *, keys: dict) -> dict:
    """A row's values, its own key and write times left out, other rows' keys named by
    their place (`keys`: pk -> name)."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.attname in UNWRITTEN:
            continue
        value = getattr(instance, field.attname)
        values[field.attname] = keys.get(value, value) if field.is_relation else value
    return values


def _written(result) -> list:
    """What the run wrote: each invoice, its lines, its periods and the audit rows."""
    invoices = list(Invoice.objects.filter(pk__in=[i.pk for i in result.invoices]).order_by("pk"))
    keys = {invoice.pk: f"invoice {n}" for n, invoice in enumerate(invoices)}
    written = []
    for invoice in invoices:
        name = keys[invoice.pk]
        audit = AuditEvent.objects.filter(
            target_type="invoicing.invoice", target_id=str(invoice.pk)
        )
        billed = AuditEvent.objects.filter(action="engagement.billed", details__invoice=invoice.pk)
        written.append(
            {
                "invoice": _row(invoice, keys=keys),
                "lines": [_row(line, keys=keys) for line in invoice.lines.order_by("position")],
                "periods": [
                    _row(period, keys=keys)
                    for period in BilledPeriod.objects.filter(invoice=invoice)
                ],
                "audit": [
                    {**_row(event, keys=keys), "target_id": name, "target": name} for event in audit
                ]
                + [
                    {**_row(event, keys=keys), "details": {**event.details, "invoice": name}}
                    for event in billed
                ],
            }
        )
    return written


def _bill(firm, alice, *, alone: bool, monkeypatch) -> list:
    """Bill to 10 March, then take it all back: what was written."""
    with monkeypatch.context() as patched, unit_of_work():
        if alone:
            patched.setattr(together, "_plain_due", lambda *args, **kwargs: None)
        result = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 3, 10), now=NOW)
        written = _written(result)
        transaction.set_rollback(True)
    return written


def test_billed_together_the_rows_are_those_billed_alone(two_clients, firm, monkeypatch):
    together = _bill(firm, two_clients, alone=False, monkeypatch=monkeypatch)
    alone = _bill(firm, two_clients, alone=True, monkeypatch=monkeypatch)
    assert len(together) == 6  # January to March, for each of the two
    assert together == alone
    assert {w["invoice"]["payment_terms_days"] for w in together} == {30, 45}


def test_a_batch_another_run_got_ahead_of_is_billed_alone_each_period_once(
    two_clients, firm, monkeypatch
):
    actions.bill_due_periods(firm, by=two_clients, as_of=D(2027, 1, 1))
    # As if another run billed January after this one read what was billed.
    monkeypatch.setattr(
        billing,
        "billed_starts_of",
        lambda batch: {engagement.pk: defaultdict(set) for engagement in batch},
    )
    result = actions.bill_due_periods(firm, by=two_clients, as_of=D(2027, 2, 1))
    assert result.skipped == 2
    assert len(result.invoices) == 2
    assert BilledPeriod.objects.count() == 4
    starts = BilledPeriod.objects.values_list("mission__engagement__reference", "period_start")
    assert sorted(starts) == [
        ("LM-2", D(2027, 1, 1)),
        ("LM-2", D(2027, 2, 1)),
        ("LM-2027-001", D(2027, 1, 1)),
        ("LM-2027-001", D(2027, 2, 1)),
    ]


def test_a_draft_refused_fails_its_engagement_only(two_clients, firm, monkeypatch):
    prepare = invoicing_actions.prepare_draft

    def refusing(*, client, **kwargs):
        if client == two_clients.firm.clients.get(name="Autre SARL").pk:
            raise Invalid({"lines": ["Refused."]})
        return prepare(client=client, **kwargs)

    monkeypatch.setattr(invoicing_actions, "prepare_draft", refusing)
    result = actions.bill_due_periods(firm, by=two_clients, as_of=D(2027, 1, 1))
    assert [(engagement.reference, reason) for engagement, reason in result.failures] == [
        ("LM-2", "Refused.")
    ]
    assert RunFailure.objects.get().engagement.reference == "LM-2"
    assert [i.client.name for i in result.invoices] != ["Autre SARL"]
    assert len(result.invoices) == 1
    assert BilledPeriod.objects.filter(mission__engagement__reference="LM-2").count() == 0
