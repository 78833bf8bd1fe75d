"""Actions run in durable transactions: committed when they return, never folded into
a caller's transaction by mistake; unit_of_work() groups several, all or nothing."""

import pytest
from django.db import transaction

from facturier.core.actions import action, in_action, unit_of_work
from facturier.core.errors import InvalidTransition, NotAllowed
from facturier.invoicing import actions
from facturier.invoicing.models import Invoice


@pytest.mark.django_db(transaction=True)
def test_an_action_refuses_to_be_folded_into_a_callers_transaction(make_draft):
    draft = make_draft()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        actions.delete_draft(draft, by=draft.created_by)
    assert Invoice.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_unit_of_work_is_all_or_nothing(make_draft, staff):
    alice, bob = staff["owner_processor"], staff["owner_only"]
    first, second = make_draft(), make_draft()
    with pytest.raises(NotAllowed), unit_of_work():
        actions.delete_draft(first, by=alice)
        actions.delete_draft(second, by=bob)  # refused: the first is not deleted either
    assert Invoice.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_bulk_delete_of_drafts_is_all_or_nothing(make_draft, staff, alice):
    mine = make_draft()
    other = make_draft()
    actions.finalize_invoice(other, by=alice)
    with pytest.raises(InvalidTransition):  # the finalized one is refused...
        actions.delete_drafts([mine.pk, other.pk], by=alice)
    assert Invoice.objects.filter(pk=mine.pk).exists()  # ...and the draft stays


@pytest.mark.django_db(transaction=True)
def test_in_action_is_true_only_inside_one():
    seen = []

    @action
    def probe():
        seen.append((in_action(), transaction.get_connection().in_atomic_block))

    assert not in_action()
    probe()
    assert seen == [(True, True)] and not in_action()
