"""The worker's periodic pass: each engagement billed as its responsible member, once;
late periods marked; failures kept for the billing-run page; pause and resume;
engagements whose invoices are finalized and sent."""

import datetime

import pytest
from django.utils import timezone

from facturier.clients.models import Client
from facturier.clients.permissions import read_rights
from facturier.core.errors import Invalid
from facturier.engagements import actions
from facturier.engagements.models import BilledPeriod, RunFailure
from facturier.invoicing.models import EmailDelivery, Invoice

D = datetime.date


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def run(day):
    return actions.bill_engagements_due(today=day, now=at(day))


def test_the_pass_bills_each_period_once_as_the_responsible_member(make_engagement, alice):
    engagement = make_engagement(responsible=alice)
    first = run(D(2027, 1, 1))
    again = run(D(2027, 1, 1))
    assert len(first.invoices) == 1 and again.invoices == []
    invoice = Invoice.objects.get(pk=first.invoices[0].pk)
    assert invoice.created_by == alice
    assert invoice.status == "draft"
    assert not BilledPeriod.objects.get(mission__engagement=engagement).late


def test_a_pass_down_for_days_bills_each_missed_period_once_marked_late(make_engagement, alice):
    make_engagement(responsible=alice)
    result = run(D(2027, 3, 10))
    assert len(result.invoices) == 3
    late = dict(BilledPeriod.objects.values_list("period_start", "late"))
    assert late == {D(2027, 1, 1): True, D(2027, 2, 1): True, D(2027, 3, 1): True}
    assert run(D(2027, 3, 11)).invoices == []


def test_a_responsible_who_may_not_bill_is_a_failure_kept_until_billed(
    make_engagement, staff, alice, make_client, firm
):
    refused = make_engagement(reference="LM-1", responsible=staff["owner_only"])
    other_client = make_client(firm, name="Autre SARL")
    other_client.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)  # what alice owns is read once per user
    billed = make_engagement(reference="LM-2", client=other_client, responsible=alice, by=alice)
    result = run(D(2027, 1, 1))
    assert [e.reference for e, _ in result.failures] == ["LM-1"]
    assert len(result.invoices) == 1
    failure = RunFailure.objects.get(engagement=refused)
    assert failure.code == "responsible_may_not_bill"
    assert "responsable" in failure.reason  # the client's language: French
    assert not RunFailure.objects.filter(engagement=billed).exists()
    actions.amend_engagement(refused, by=alice, fields={"responsible": alice.pk})
    assert len(run(D(2027, 1, 2)).invoices) == 1
    assert not RunFailure.objects.exists()


def test_paused_periods_are_skipped_on_resuming_never_billed_after(make_engagement, alice):
    engagement = make_engagement(responsible=alice)
    run(D(2027, 1, 1))
    actions.pause_billing(engagement, by=alice, now=at(D(2027, 1, 15)))
    assert run(D(2027, 3, 5)).invoices == []
    skipped = actions.resume_billing(engagement, by=alice, now=at(D(2027, 3, 20)))
    assert skipped == 2  # February and March
    assert set(
        BilledPeriod.objects.filter(invoice__isnull=True).values_list("period_start", flat=True)
    ) == {D(2027, 2, 1), D(2027, 3, 1)}
    assert run(D(2027, 3, 20)).invoices == []
    assert len(run(D(2027, 4, 1)).invoices) == 1


def test_resuming_with_catch_up_bills_the_paused_periods_late(make_engagement, alice):
    engagement = make_engagement(responsible=alice)
    actions.pause_billing(engagement, by=alice, now=at(D(2026, 12, 20)))
    actions.resume_billing(engagement, by=alice, catch_up=True, now=at(D(2027, 2, 10)))
    result = run(D(2027, 2, 10))
    assert len(result.invoices) == 2
    assert set(BilledPeriod.objects.values_list("late", flat=True)) == {True}


def test_pausing_twice_or_resuming_what_runs_is_refused(make_engagement, alice):
    engagement = make_engagement(responsible=alice)
    with pytest.raises(Invalid) as resumed:
        actions.resume_billing(engagement, by=alice)
    assert resumed.value.codes == {"general": ["not_paused"]}
    actions.pause_billing(engagement, by=alice)
    with pytest.raises(Invalid) as paused:
        actions.pause_billing(engagement, by=alice)
    assert paused.value.codes == {"general": ["already_paused"]}


def test_finalize_and_send_numbers_and_queues_the_email(make_engagement, alice, template):
    make_engagement(responsible=alice, billing_mode="finalize")
    result = run(D(2027, 1, 1))
    invoice = Invoice.objects.get(pk=result.invoices[0].pk)
    assert invoice.status == "finalized" and invoice.number
    delivery = EmailDelivery.objects.get(invoice=invoice)
    assert delivery.to == ["compta@client.example"]


def test_a_refused_finalization_leaves_the_draft_and_says_why(
    make_engagement, alice, template, client_entity
):
    engagement = make_engagement(responsible=alice, billing_mode="finalize")
    Client.objects.filter(pk=client_entity.pk).update(address_line1="")
    result = run(D(2027, 1, 1))
    invoice = Invoice.objects.get(pk=result.invoices[0].pk)
    assert invoice.status == "draft"
    failure = RunFailure.objects.get(engagement=engagement)
    assert failure.invoice_id == invoice.pk
    assert "adresse" in failure.reason
    assert BilledPeriod.objects.get().invoice_id == invoice.pk  # the period stays billed


def test_changing_the_billing_mode_is_not_an_amendment(make_engagement, alice):
    engagement = make_engagement(responsible=alice)
    actions.amend_engagement(engagement, by=alice, fields={"billing_mode": "finalize"})
    engagement.refresh_from_db()
    assert (engagement.version, engagement.billing_mode) == (1, "finalize")


def test_the_next_billing_day_follows_the_schedule(make_engagement, alice):
    engagement = make_engagement(responsible=alice)
    engagement.refresh_from_db()
    assert engagement.next_bill_date == D(2027, 1, 1)
    run(D(2027, 1, 1))
    engagement.refresh_from_db()
    assert engagement.next_bill_date == D(2027, 2, 1)
    actions.pause_billing(engagement, by=alice)
    engagement.refresh_from_db()
    assert engagement.next_bill_date is None


def test_a_refused_finalization_stays_listed_until_a_later_run_finalizes_the_draft(
    make_engagement, alice, template, client_entity
):
    engagement = make_engagement(responsible=alice, billing_mode="finalize")
    Client.objects.filter(pk=client_entity.pk).update(address_line1="")
    run(D(2027, 1, 1))
    run(D(2027, 1, 1))  # the next hourly pass: nothing due, the draft still waits
    failure = RunFailure.objects.get(engagement=engagement)
    assert Invoice.objects.get(pk=failure.invoice_id).status == "draft"
    Client.objects.filter(pk=client_entity.pk).update(address_line1="2 rue du Bac")
    run(D(2027, 1, 2))
    assert Invoice.objects.get(pk=failure.invoice_id).status == "finalized"
    assert not RunFailure.objects.exists()


def test_a_responsibles_rights_are_read_once_per_batch_of_the_pass(
    make_engagement, alice, staff, make_client, firm, monkeypatch
):
    """What a responsible holds and owns is read at their first engagement and lent to
    their next ones for RIGHTS_KEPT_FOR engagements: a client they no longer own is
    refused through the lent rights, and another member's rights are their own."""
    from facturier.engagements.actions import billing

    clients = [make_client(firm, name=f"Client {n} SARL") for n in range(3)]
    for client in clients:
        client.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)
    make_engagement(reference="LM-0", client=clients[0], responsible=alice, by=alice)
    make_engagement(reference="LM-1", client=clients[1], responsible=alice, by=alice)
    make_engagement(reference="LM-2", responsible=staff["owner_only"])  # no processing
    make_engagement(reference="LM-3", client=clients[2], responsible=alice, by=alice)
    clients[1].owners.remove(alice)
    reads = []
    monkeypatch.setattr(
        billing, "read_rights", lambda user: reads.append(user.pk) or read_rights(user)
    )
    monkeypatch.setattr(billing, "RIGHTS_KEPT_FOR", 3)
    result = run(D(2027, 1, 1))
    # Alice at her first engagement, the other member at theirs, Alice again at the 4th.
    assert reads == [alice.pk, staff["owner_only"].pk, alice.pk]
    assert sorted(invoice.client_id for invoice in result.invoices) == sorted(
        [clients[0].pk, clients[2].pk]
    )
    assert sorted(e.reference for e, _ in result.failures) == ["LM-1", "LM-2"]


def test_a_responsibles_rights_are_read_again_once_their_time_is_up(
    make_engagement, alice, make_client, firm, monkeypatch
):
    from facturier.engagements.actions import billing

    clients = [make_client(firm, name=f"Client {n} SARL") for n in range(2)]
    for client in clients:
        client.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)
    for n, client in enumerate(clients):
        make_engagement(reference=f"LM-{n}", client=client, responsible=alice, by=alice)
    reads = []
    monkeypatch.setattr(
        billing, "read_rights", lambda user: reads.append(user.pk) or read_rights(user)
    )
    monkeypatch.setattr(billing, "RIGHTS_KEPT_SECONDS", -1)  # always older than that
    assert len(run(D(2027, 1, 1)).invoices) == 2
    assert reads == [alice.pk, alice.pk]
