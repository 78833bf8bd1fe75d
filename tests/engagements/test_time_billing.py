"""Time-based missions in the recurring run: each period's entries billed once at the
rates in force, on the invoice of the engagement's fixed fees for that day; the cap
applied as a recorded write-down; a missing rate kept as the run's failure; a cap below
what a period already billed refused."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from facturier.core.errors import Invalid
from facturier.engagements import actions
from facturier.engagements.models import BilledPeriod, RunFailure
from facturier.invoicing import actions as invoicing_actions
from facturier.invoicing.models import Invoice, InvoiceEntry
from facturier.work import actions as work_actions
from facturier.work.models import Entry

pytestmark = pytest.mark.django_db
D = datetime.date

FIXED = {
    "name": "Tenue comptable",
    "fee_kind": "fixed",
    "annual_fee": "1200",
    "vat_rate": "20",
    "frequency": "monthly",
    "timing": "arrears",
    "billing_day": 1,
}


def run(day):
    now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    return actions.bill_engagements_due(today=day, now=now)


def log(user, client, day, hours, code="FISC"):
    (entry,) = work_actions.record_entries(
        [{"client": client.pk, "work_code": code, "day": day, "hours": hours}], by=user
    )
    return entry


@pytest.fixture
def advice(make_engagement, codes, worker):
    """A monthly fixed fee billed in arrears, and advice at the staff rates."""
    return make_engagement(
        responsible=worker,
        missions=[
            {**FIXED, "work_code": codes["COMPTA"].pk},
            {"name": "Conseil fiscal", "work_code": codes["FISC"].pk, "fee_kind": "time"},
        ],
    )


def lines(invoice):
    return [(line.description, line.net_amount) for line in invoice.lines.order_by("position")]


def test_a_months_time_is_billed_with_its_fixed_fee_on_one_invoice_once(
    advice, worker, client_entity
):
    log(worker, client_entity, "2027-01-10", "2")
    log(worker, client_entity, "2027-01-20", "1,5")
    february = log(worker, client_entity, "2027-02-03", "1")
    first = run(D(2027, 2, 1))
    assert len(first.invoices) == 1
    invoice = Invoice.objects.get(pk=first.invoices[0].pk)
    assert lines(invoice) == [
        ("Tenue comptable – Honoraires : janvier 2027", Decimal("100.00")),
        ("Conseil fiscal – FISC : 3,5 h, du 10 janvier 2027 au 20 janvier 2027", Decimal("350.00")),
    ]
    assert sorted(
        InvoiceEntry.objects.filter(invoice=invoice).values_list("amount", flat=True)
    ) == [
        Decimal("150.00"),
        Decimal("200.00"),
    ]
    assert Entry.objects.get(pk=february.pk).state == "unbilled"
    assert run(D(2027, 2, 1)).invoices == []  # never twice
    second = Invoice.objects.get(pk=run(D(2027, 3, 1)).invoices[0].pk)
    assert [amount for _, amount in lines(second)] == [Decimal("100.00"), Decimal("100.00")]
    time_rows = BilledPeriod.objects.filter(part="time").order_by("period_start")
    assert list(time_rows.values_list("period_start", "amount", "written_down")) == [
        (D(2027, 1, 1), Decimal("350.00"), Decimal("0.00")),
        (D(2027, 2, 1), Decimal("100.00"), Decimal("0.00")),
    ]
    # Finalized, the entries are billed for what the invoice charged, as from the WIP tab.
    invoicing_actions.finalize_invoice(invoice, by=worker)
    assert set(Entry.objects.filter(state="billed").values_list("billed_amount", flat=True)) == {
        Decimal("150.00"),
        Decimal("200.00"),
    }


def test_a_time_mission_alone_makes_its_own_invoice_and_nothing_when_no_time(
    make_engagement, codes, worker, client_entity
):
    make_engagement(
        responsible=worker,
        missions=[{"name": "Conseil fiscal", "work_code": codes["FISC"].pk, "fee_kind": "time"}],
    )
    assert run(D(2027, 2, 1)).invoices == []  # January: no time, no invoice
    assert BilledPeriod.objects.get(part="time").invoice is None
    log(worker, client_entity, "2027-02-10", "1")
    made = run(D(2027, 3, 1)).invoices
    assert len(made) == 1
    assert lines(Invoice.objects.get(pk=made[0].pk))[0][1] == Decimal("100.00")


def test_the_cap_bills_at_most_its_amount_and_records_the_write_down(
    make_engagement, codes, worker, client_entity
):
    engagement = make_engagement(
        responsible=worker,
        missions=[
            {
                "name": "Conseil fiscal",
                "work_code": codes["FISC"].pk,
                "fee_kind": "time",
                "time_cap": "250",
            }
        ],
    )
    log(worker, client_entity, "2027-01-10", "2")
    log(worker, client_entity, "2027-01-11", "1")  # 300 of work
    invoice = Invoice.objects.get(pk=run(D(2027, 2, 1)).invoices[0].pk)
    assert invoice.total_net == Decimal("250.00")
    assert "plafond convenu de 250,00" in invoice.notes
    assert "valeur de 300,00" in invoice.notes
    links = InvoiceEntry.objects.filter(invoice=invoice)
    assert sum(link.value for link in links) == Decimal("300.00")
    assert sum(link.amount for link in links) == Decimal("250.00")
    assert all(link.reason for link in links)  # the write-down says why
    period = BilledPeriod.objects.get(mission__engagement=engagement, part="time")
    assert (period.wip_value, period.amount, period.written_down) == (
        Decimal("300.00"),
        Decimal("250.00"),
        Decimal("50.00"),
    )


def test_a_missing_rate_is_the_runs_failure_and_the_others_are_billed(
    make_engagement, codes, worker, client_entity, firm, make_user, make_client
):
    bob = make_user("bruno", firm)
    bob.user_permissions.add(Permission.objects.get(codename="process_own_entries"))
    bob = type(bob).objects.get(pk=bob.pk)
    unrated = make_engagement(
        responsible=worker,
        missions=[{"name": "Conseil fiscal", "work_code": codes["FISC"].pk, "fee_kind": "time"}],
    )
    other = make_client(firm, name="Autre SARL")
    other.owners.add(worker)
    worker = type(worker).objects.get(pk=worker.pk)
    make_engagement(reference="LM-2", client=other, by=worker, responsible=worker)
    log(bob, client_entity, "2027-01-10", "2")  # bruno has no rate
    result = run(D(2027, 2, 1))
    assert [e.pk for e, _ in result.failures] == [unrated.pk]
    assert len(result.invoices) == 2  # the other engagement's January and February
    failure = RunFailure.objects.get(engagement=unrated)
    assert failure.code == "missing_rate"
    assert "bruno" in failure.reason
    assert not BilledPeriod.objects.filter(mission__engagement=unrated).exists()
    assert Entry.objects.get(staff=bob).state == "unbilled"


def test_a_cap_below_what_the_open_period_billed_is_refused(
    make_engagement, codes, worker, client_entity
):
    today = timezone.localdate()
    engagement = make_engagement(
        responsible=worker,
        start_date=today.replace(day=1),
        missions=[{"name": "Conseil fiscal", "work_code": codes["FISC"].pk, "fee_kind": "time"}],
    )
    mission = engagement.missions.get()
    entry = log(worker, client_entity, today.isoformat(), "3")  # 300 billed from WIP
    invoicing_actions.draft_from_wip(by=worker, client=client_entity, entries=[entry.pk])
    with pytest.raises(Invalid) as refused:
        actions.amend_engagement(
            engagement, by=worker, missions=[{"id": mission.pk, "time_cap": "200"}]
        )
    assert refused.value.codes == {"missions.0.time_cap": ["cap_below_billed"]}
    mission.refresh_from_db()
    assert mission.time_cap is None
    actions.amend_engagement(
        engagement, by=worker, missions=[{"id": mission.pk, "time_cap": "300"}]
    )
    mission.refresh_from_db()
    assert mission.time_cap == Decimal("300.00")


def test_billed_time_counts_once_against_the_budget(advice, worker, client_entity):
    from facturier.engagements import selectors

    log(worker, client_entity, "2027-01-10", "2")
    invoice = Invoice.objects.get(pk=run(D(2027, 2, 1)).invoices[0].pk)
    invoicing_actions.finalize_invoice(invoice, by=worker)
    year = selectors.budget_year(advice.firm_id, 2027)
    lines = {line.mission.name: line for line in selectors.engagement_budgets(advice, year)}
    assert lines["Conseil fiscal"].billed == Decimal("200.00")
    assert lines["Tenue comptable"].billed == Decimal("100.00")
