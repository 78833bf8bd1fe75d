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
from facturier.engagements.models import BilledPeriod, Engagement, Revision, RunFailure
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing_actions
from facturier.invoicing.models import Invoice

D = datetime.date
UNWRITTEN = {"id", "created_at", "updated_at"}


@pytest.fixture
def two_clients(make_engagement, make_client, alice, firm):
    """Two engagements of two clients; alice owns both. A French client's fees, billed
    monthly in arrears, revised by 3.2 % each 1st of January, paid in 45 days; an English
    client's billed in advance, paid in the firm's terms."""
    other = make_client(firm, name="Other Ltd", language="en")
    other.owners.add(alice)
    make_engagement(
        payment_terms_days=45,
        indexation="percent",
        indexation_percent="3.2",
        revision_day=1,
        revision_month=1,
        missions=[
            {
                "name": "Tenue comptable",
                "fee_kind": "fixed",
                "annual_fee": "1200",
                "vat_rate": "20",
                "frequency": "monthly",
                "timing": "arrears",
            }
        ],
    )
    make_engagement(reference="LM-2", client=other)
    return type(alice).objects.get(pk=alice.pk)


def _named(value, keys: dict):
    return keys.get(value, value)


def _row(instance, *, keys: dict) -> dict:
    """A row's values, its own key and write times left out, the invoices it names
    named by their place (`keys`: pk -> name): the sequences give other keys each run."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.attname in UNWRITTEN:
            continue
        value = getattr(instance, field.attname)
        values[field.attname] = _named(value, keys) if field.related_model is Invoice else value
    return values


def _audit(keys: dict) -> list[dict]:
    """The audit rows about the invoices and the engagements billed, invoices named."""
    rows = []
    for event in AuditEvent.objects.filter(
        target_type__in=["invoicing.invoice", "engagements.engagement"]
    ).order_by("pk"):
        row = _row(event, keys=keys)
        if event.target_type == "invoicing.invoice":
            name = keys.get(int(event.target_id), event.target_id)
            row.update(target_id=name, target=name)
        if "invoice" in event.details:
            row["details"] = {**event.details, "invoice": keys[event.details["invoice"]]}
        rows.append(row)
    return sorted(rows, key=lambda row: (row["target_type"], str(row["target_id"]), row["action"]))


def _state() -> dict:
    """What the runs wrote and left: invoices, lines, periods, audit, revisions told,
    next billing days."""
    # Named by what they bill, not by the order they were written in.
    invoices = sorted(
        Invoice.objects.prefetch_related("lines"),
        key=lambda invoice: (invoice.client_id, [line.description for line in invoice.lines.all()]),
    )
    keys = {invoice.pk: f"invoice {n}" for n, invoice in enumerate(invoices)}
    return {
        "invoices": [
            {
                "invoice": _row(invoice, keys=keys),
                "lines": [_row(line, keys=keys) for line in invoice.lines.order_by("position")],
            }
            for invoice in invoices
        ],
        "periods": [
            _row(p, keys=keys)
            for p in BilledPeriod.objects.order_by("period_start", "mission_id", "part")
        ],
        "audit": _audit(keys),
        "revisions": [_row(r, keys=keys) for r in Revision.objects.order_by("pk")],
        "next": list(Engagement.objects.order_by("pk").values_list("reference", "next_bill_date")),
    }


def _bill(firm, alice, *, alone: bool, monkeypatch, runs) -> dict:
    """Bill as of each day of `runs`, then take it all back: what was written."""
    with monkeypatch.context() as patched, unit_of_work():
        if alone:
            patched.setattr(together, "_plain_due", lambda *args, **kwargs: None)
        told = []
        for as_of in runs:
            now = datetime.datetime.combine(as_of, datetime.time(9), tzinfo=datetime.UTC)
            result = actions.bill_due_periods(firm, by=alice, as_of=as_of, now=now)
            failures = [(engagement.reference, reason) for engagement, reason in result.failures]
            told.append((len(result.invoices), result.periods, result.skipped, failures))
        written = {"told": told, **_state()}
        transaction.set_rollback(True)
    return written


def test_billed_together_the_rows_are_those_billed_alone(two_clients, firm, monkeypatch):
    # The revision of 1 January 2028 is recorded by the first run (alone: a revision to
    # record), told on the first invoice billing 2028 by the second.
    runs = [D(2028, 1, 5), D(2028, 2, 5)]
    billed_together = _bill(firm, two_clients, alone=False, monkeypatch=monkeypatch, runs=runs)
    billed_alone = _bill(firm, two_clients, alone=True, monkeypatch=monkeypatch, runs=runs)
    assert billed_together == billed_alone
    assert billed_together["told"] == [(25, 25, 0, []), (2, 2, 0, [])]
    [revision] = billed_together["revisions"]
    assert str(revision["announced_on_id"]).startswith("invoice ")
    notes = [i["invoice"]["notes"] for i in billed_together["invoices"]]
    assert sum("révisés de +3,2 %" in note for note in notes) == 1
    terms = {
        i["invoice"]["client_id"]: i["invoice"]["payment_terms_days"]
        for i in billed_together["invoices"]
    }
    assert sorted(terms.values()) == [30, 45]


def test_a_batch_another_run_got_ahead_of_is_billed_alone_each_period_once(
    two_clients, firm, monkeypatch
):
    actions.bill_due_periods(firm, by=two_clients, as_of=D(2027, 1, 1))
    assert Invoice.objects.count() == 1  # the English client's January (in advance)
    # As if another run billed January after this one read what was billed.
    monkeypatch.setattr(
        billing,
        "billed_starts_of",
        lambda batch: {engagement.pk: defaultdict(set) for engagement in batch},
    )
    written = []
    write_days = together._write_days
    monkeypatch.setattr(
        together,
        "_write_days",
        lambda days, **kw: written.append(len(days)) or write_days(days, **kw),
    )
    result = actions.bill_due_periods(firm, by=two_clients, as_of=D(2027, 2, 1))
    assert written == [3]  # tried together, refused by the unique key, billed alone
    assert result.skipped == 1
    assert len(result.invoices) == 2
    assert Invoice.objects.count() == 3  # the batch's drafts were taken back with it
    assert AuditEvent.objects.filter(action="engagement.billed").count() == 3
    starts = BilledPeriod.objects.values_list("mission__engagement__reference", "period_start")
    assert sorted(starts) == [
        ("LM-2", D(2027, 1, 1)),
        ("LM-2", D(2027, 2, 1)),
        ("LM-2027-001", D(2027, 1, 1)),
    ]


def test_a_draft_refused_fails_its_engagement_only(two_clients, firm, monkeypatch):
    prepare = invoicing_actions.prepare_draft

    def refusing(*, client, **kwargs):
        if client == two_clients.firm.clients.get(name="Other Ltd").pk:
            raise Invalid({"lines": ["Refused."]})
        return prepare(client=client, **kwargs)

    monkeypatch.setattr(invoicing_actions, "prepare_draft", refusing)
    result = actions.bill_due_periods(firm, by=two_clients, as_of=D(2027, 2, 1))
    assert [(engagement.reference, reason) for engagement, reason in result.failures] == [
        ("LM-2", "Refused.")
    ]
    assert RunFailure.objects.get().engagement.reference == "LM-2"
    assert [invoice.client.name for invoice in result.invoices] == ["Client SA"]
    assert BilledPeriod.objects.filter(mission__engagement__reference="LM-2").count() == 0
