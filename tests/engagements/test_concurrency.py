"""Two billing runs at the same moment (PostgreSQL, real transactions): each period is
billed once, whichever run gets there first."""

import datetime
import threading

import pytest
from django.db import connection

from facturier.engagements import actions
from facturier.engagements.models import BilledPeriod
from facturier.invoicing.models import Invoice

from .conftest import MONTHLY

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001  (shown by the assertion)
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_runs_at_once_bill_each_period_once(make_engagement, alice, firm):
    for number in range(3):
        make_engagement(reference=f"LM-{number}")
    as_of = datetime.date(2027, 6, 1)
    outcomes = run_together(
        [lambda: actions.bill_due_periods(firm, by=alice, as_of=as_of) for _ in range(3)]
    )
    assert all(isinstance(o, actions.RunResult) for o in outcomes), outcomes
    assert sum(len(o.invoices) for o in outcomes) == 3 * 6  # January to June, 3 engagements
    assert BilledPeriod.objects.count() == 18
    assert Invoice.objects.count() == 18  # the losing runs' drafts rolled back with them
    again = actions.bill_due_periods(firm, by=alice, as_of=as_of)
    assert again.invoices == []


def test_two_workers_passes_at_once_bill_and_number_each_period_once(
    make_engagement, alice, template
):
    from django.utils import timezone

    for number in range(3):
        make_engagement(reference=f"LM-{number}", responsible=alice, billing_mode="finalize")
    day = datetime.date(2027, 3, 1)
    now = timezone.make_aware(datetime.datetime(2027, 3, 1, 9))
    outcomes = run_together(
        [lambda: actions.bill_engagements_due(today=day, now=now) for _ in range(2)]
    )
    assert all(isinstance(o, actions.RunResult) for o in outcomes), outcomes
    assert BilledPeriod.objects.count() == 9
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) == 9 and len(set(numbers)) == 9 and all(numbers)


def test_a_letter_signed_while_it_is_remade_is_kept(make_engagement, alice, firm):
    """Making the letter again replaces a draft only: a letter signed at the same moment
    is never deleted under its signer, and each version keeps one letter."""
    import io

    import pypdfium2

    from facturier.core.errors import DomainError
    from facturier.engagements.letter_models import EngagementLetter

    out = io.BytesIO()
    document = pypdfium2.PdfDocument.new()
    document.new_page(595, 842)
    document.save(out)
    engagement = make_engagement()
    (french, english) = actions.seed_letter_templates(firm.pk)
    letter = actions.create_letter(engagement, by=alice, template=french)
    outcomes = run_together(
        [
            lambda: actions.upload_signed_copy(letter.pk, by=alice, content=out.getvalue()),
            lambda: actions.create_letter(engagement, by=alice, template=english),
        ]
    )
    (kept,) = EngagementLetter.objects.filter(engagement=engagement)
    signed, remade = outcomes
    if isinstance(remade, DomainError):  # the signature came first: the letter stays
        assert remade.code == "letter_exists"
        assert kept.pk == letter.pk and kept.status == "signed"
    else:  # the new draft came first: signing the replaced one finds nothing
        assert isinstance(signed, DomainError) and signed.code == "not_found"
        assert kept.status == "draft" and kept.language == "en"


def test_runs_at_once_deduct_the_deposit_once(make_engagement, alice, firm, template):
    """The losing runs' drafts roll back with the deposit they deducted: one invoice
    deducts it, the January one, and the history says so once."""
    from facturier.firms import audit
    from facturier.invoicing import actions as invoicing
    from facturier.receivables import actions as receivables

    engagement = make_engagement(missions=[MONTHLY], deposit_amount="500")
    deposit = invoicing.finalize_invoice(
        actions.draft_engagement_deposit(engagement, by=alice), by=alice
    )
    receivables.record_payment(
        by=alice,
        client=deposit.client,
        amount=str(deposit.total_gross),
        received_on=deposit.issue_date,
        allocations=[{"invoice": deposit.pk}],
    )
    as_of = datetime.date(2027, 3, 1)
    outcomes = run_together(
        [lambda: actions.bill_due_periods(firm, by=alice, as_of=as_of) for _ in range(3)]
    )
    assert all(isinstance(o, actions.RunResult) for o in outcomes), outcomes
    january = BilledPeriod.objects.get(period_start=datetime.date(2027, 1, 1)).invoice_id
    deposit.refresh_from_db()
    assert deposit.deducted_by_id == january
    assert Invoice.objects.filter(deducted_by__isnull=False).count() == 1
    deducted = audit.about("engagements.engagement", engagement.pk).filter(
        action="engagement.deposit_deducted"
    )
    assert deducted.count() == 1


def test_a_workers_pass_skips_the_engagement_another_is_billing(make_engagement, alice):
    """Two workers share a pass: one does not wait behind the other's lock. The one it
    skipped is billed by the worker holding it, or by the next pass."""
    from django.db import connections, transaction
    from django.utils import timezone

    from facturier.engagements.models import Engagement

    held, other = (
        make_engagement(reference=f"LM-{n}", responsible=alice, billing_mode="finalize")
        for n in range(2)
    )
    day = datetime.date(2027, 1, 1)
    now = timezone.make_aware(datetime.datetime(2027, 1, 1, 9))
    locked, release = threading.Event(), threading.Event()

    def hold():  # another worker, in the middle of billing `held`
        try:
            with transaction.atomic():
                Engagement.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        first = actions.bill_engagements_due(today=day, now=now)  # returns: no wait
    finally:
        release.set()
        holder.join()
    billed = BilledPeriod.objects.values_list("mission__engagement", flat=True)
    assert set(billed) == {other.pk}
    assert first.invoices
    actions.bill_engagements_due(today=day, now=now)  # the next pass
    assert BilledPeriod.objects.filter(mission__engagement=held).count() == 1
    assert BilledPeriod.objects.filter(mission__engagement=other).count() == 1


def test_two_people_billing_overlapping_engagements_at_once_never_deadlock(
    make_engagement, make_client, make_user, alice, firm, monkeypatch
):
    """Erin's and alice's runs share two engagements but not their batches' bounds; the
    second shared engagement bills alone (a failure kept), after those billed together.
    Locked in the order of their keys, the engagements are taken by one run, then the
    other: never each holding a period the other waits for."""
    from facturier.engagements.actions import billing
    from facturier.engagements.models import RunFailure

    monkeypatch.setattr(billing, "BATCH_SIZE", 2)
    shared = [make_client(firm, name=f"Partagé {n}") for n in range(2)]
    erin = make_user("erin", firm, processing=True, owns=shared)
    for client in shared:
        client.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)
    make_engagement(reference="LM-A")  # alice's alone
    alone = make_engagement(reference="LM-B", client=shared[0])
    make_engagement(reference="LM-C", client=shared[1])
    for month in range(1, 4):
        RunFailure.objects.update_or_create(
            engagement=alone,
            defaults={"reason": "?", "failed_at": datetime.datetime.now(datetime.UTC)},
        )
        as_of = datetime.date(2027, month, 1)
        outcomes = run_together(
            [
                lambda as_of=as_of: actions.bill_due_periods(firm, by=alice, as_of=as_of),
                lambda as_of=as_of: actions.bill_due_periods(firm, by=erin, as_of=as_of),
            ]
        )
        assert all(isinstance(o, actions.RunResult) for o in outcomes), outcomes
    assert BilledPeriod.objects.count() == 3 * 3  # three months of three engagements
