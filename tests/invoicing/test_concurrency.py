"""Order and audit under concurrency (PostgreSQL, real row locks): dates follow
numbers, and racing transitions leave a trail that replays to the final status."""

import threading

import pytest
from django.db import connection

from facturier.core.errors import DomainError
from facturier.invoicing import actions
from facturier.invoicing.models import Invoice
from facturier.invoicing.selectors import invoice_events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            call()
        except DomainError:
            pass  # refused: the other one came first
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_later_number_never_carries_an_earlier_time_or_date(make_draft, alice, template):
    drafts = [make_draft() for _ in range(48)]
    chunks = [drafts[i::8] for i in range(8)]
    run_together(
        [
            lambda chunk=chunk: [actions.finalize_invoice(d.pk, by=alice) for d in chunk]
            for chunk in chunks
        ]
    )
    issued = list(
        Invoice.objects.exclude(number=None)
        .order_by("number")
        .values_list("number", "finalized_at", "issue_date")
    )
    assert len(issued) == 48
    for (_n1, at1, day1), (_n2, at2, day2) in zip(issued, issued[1:], strict=False):
        assert at1 <= at2 and day1 <= day2


def test_close_and_revert_racing_leave_a_trail_that_matches_the_status(finalized, alice):
    for _round in range(15):
        run_together(
            [
                lambda: actions.close_invoice(finalized.pk, by=alice),
                lambda: actions.reopen_invoice(finalized.pk, by=alice),
            ]
        )
    trail = list(
        invoice_events(invoice=finalized)
        .filter(action__in=["invoice.closed", "invoice.reopened"])
        .order_by("at", "id")
        .values_list("from_status", "to_status")
    )
    status = "finalized"
    for source, target in trail:
        assert source == status, trail  # each change starts where the last one ended
        status = target
    assert Invoice.objects.get(pk=finalized.pk).status == status
