import contextlib
import threading

import pytest
from django.db import connection

from facturier.core.actions import unit_of_work
from facturier.invoicing import actions
from facturier.invoicing.models import Invoice, InvoiceSequence
from facturier.invoicing.numbering import reserve_next_number


@pytest.mark.django_db
def test_numbers_are_consecutive_in_finalization_order(make_draft, alice, template):
    drafts = [make_draft() for _ in range(5)]
    for draft in reversed(drafts):
        actions.finalize_invoice(draft, by=alice)
    numbers = [Invoice.objects.get(pk=d.pk).number for d in reversed(drafts)]
    assert numbers == ["0000001", "0000002", "0000003", "0000004", "0000005"]


@pytest.mark.django_db
def test_prefix_year_and_padding_as_the_firm_sets_them(make_draft, alice, firm, template):
    InvoiceSequence.objects.filter(firm=firm).update(
        prefix="F{year}-", padding_char="0", padding_length=7, next_number=1054
    )
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    assert invoice.number == f"F{invoice.issue_date.year}-0001054"


def test_format_pads_with_the_chosen_symbol():
    sequence = InvoiceSequence(prefix="", padding_char="0", padding_length=7)
    assert sequence.format(1054, year=2026) == "0001054"
    sequence.padding_char, sequence.padding_length = "#", 5
    assert sequence.format(12, year=2026) == "###12"
    sequence.padding_length = 2
    assert sequence.format(12345, year=2026) == "12345"  # never truncated


@pytest.mark.django_db
def test_next_number_cannot_go_back(firm):
    from django.core.exceptions import ValidationError

    sequence = InvoiceSequence.objects.get(firm=firm)
    sequence.next_number = 10
    sequence.save()
    sequence.next_number = 9
    with pytest.raises(ValidationError):
        sequence.full_clean()


@pytest.mark.django_db
def test_a_failed_finalization_gives_its_number_back(make_draft, alice, template, firm):
    good, empty = make_draft(), actions.create_draft(by=alice, client=make_draft().client)
    with pytest.raises(Exception):  # noqa: B017 - any refusal must roll the counter back
        actions.finalize_invoice(empty, by=alice)
    assert actions.finalize_invoice(good, by=alice).number == "0000001"


@pytest.mark.django_db(transaction=True)
def test_taking_a_number_outside_a_transaction_is_a_bug(firm):
    with pytest.raises(RuntimeError):
        reserve_next_number(firm)


@pytest.mark.django_db
def test_numbers_are_per_firm(make_firm, make_client, make_user, template):
    numbers = []
    for name in ("A", "B"):
        firm = make_firm(name)
        client = make_client(firm)
        user = make_user(f"u{name}", firm, processing=True, owns=[client])
        invoice = actions.create_draft(
            by=user, client=client, lines=[{"description": "x", "unit_price": "1"}]
        )
        numbers.append(actions.finalize_invoice(invoice, by=user).number)
    assert numbers == ["0000001", "0000001"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_finalizations_leave_no_gap_and_no_duplicate(make_draft, alice, template):
    """24 threads, each with its own connection, finalize at once on PostgreSQL."""
    drafts = [make_draft() for _ in range(24)]
    InvoiceSequence.objects.filter(firm=alice.firm).update(next_number=500)
    barrier = threading.Barrier(len(drafts))
    errors = []

    def finalize(pk):
        try:
            barrier.wait()
            actions.finalize_invoice(pk, by=alice)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(d.pk,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(int(n) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(500, 524))
    assert InvoiceSequence.objects.get(firm=alice.firm).next_number == 524


class RollBack(Exception):
    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_finalization_under_concurrency_leaves_no_gap(make_draft, alice, template):
    drafts = [make_draft() for _ in range(10)]
    barrier = threading.Barrier(len(drafts))
    done = []

    def finalize(index, pk):
        try:
            barrier.wait()
            with unit_of_work():  # the finalization and what follows it, together
                actions.finalize_invoice(pk, by=alice)
                if index % 3 == 0:
                    raise RollBack("rolled back after taking a number")
            done.append(pk)
        except RollBack:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(i, d.pk)) for i, d in enumerate(drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = sorted(
        int(n) for n in Invoice.objects.exclude(number=None).values_list("number", flat=True)
    )
    assert numbers == list(range(1, len(done) + 1))
    assert len(done) == 6


def test_a_numbering_at_the_top_of_its_range_refuses_instead_of_failing(draft, alice, template):
    from facturier.core.errors import DomainError
    from facturier.invoicing.models import MAX_NUMBER

    InvoiceSequence.objects.filter(firm=alice.firm).update(next_number=MAX_NUMBER + 1)
    with pytest.raises(DomainError) as refused:
        actions.finalize_invoice(draft, by=alice)
    assert refused.value.code == "numbering_exhausted" and refused.value.status == 409
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_finalization_waits_for_its_number_in_the_series_queue(make_draft, alice, template):
    """While one transaction holds the series' next number, a second finalization waits
    in the series' own queue (woken alone when its turn comes), not on the sequence's
    row; it gets the next number once the first commits. Another series is not held."""
    first, second = make_draft(), make_draft()
    results = {}
    with _a_number_held(first, by=alice):
        waiter = _started(results, lambda: actions.finalize_invoice(second.pk, by=alice).number)
        assert _wait_of(results) == ("Lock", "advisory")
        # The credit notes' own series is not in this queue: taken at once, not after
        # a wait that would end with the holder's.
        with unit_of_work():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            number, _ = reserve_next_number(alice.firm, "credit_note")
            assert number == 1
    waiter.join(60)
    assert Invoice.objects.get(pk=first.pk).number == "0000001"
    assert results["done"] == "0000002"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_changing_the_numbering_waits_in_the_same_queue(make_draft, alice, template):
    """A change of the numbering waits behind a finalization holding a number, in the
    series' queue, then continues from after it."""
    from django.contrib.auth.models import Permission

    from facturier.invoicing.actions.numbering import update_numbering

    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    alice = type(alice).objects.get(pk=alice.pk)
    results = {}
    with _a_number_held(make_draft(), by=alice):
        changer = _started(results, lambda: update_numbering(by=alice, fields={"prefix": "F-"}))
        assert _wait_of(results) == ("Lock", "advisory")
    changer.join(60)
    assert results["done"].prefix == "F-" and results["done"].next_number == 2


@contextlib.contextmanager
def _a_number_held(draft, *, by):
    """`draft` finalized in a transaction kept open while the block runs, its number
    held; committed after."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with unit_of_work():
                actions.finalize_invoice(draft.pk, by=by)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        yield
    finally:
        release.set()
        holder.join(60)
    assert not holder.is_alive()


def _started(results: dict, work) -> threading.Thread:
    """`work` run in a thread of its own (a connection of its own, its pid in
    results["pid"]); what it returns in results["done"]."""

    def run():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                results["pid"] = cursor.fetchone()[0]
            results["done"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_of(results: dict, expected=("Lock", "advisory")) -> tuple | None:
    """What the other thread's connection (its pid in `results` once it has one) waits
    on, polled for up to 15 s until it is `expected`."""
    wait = None
    for _ in range(300):
        if "pid" in results:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s",
                    [results["pid"]],
                )
                wait = cursor.fetchone()
            if wait == expected:
                break
        threading.Event().wait(0.05)
    return wait
