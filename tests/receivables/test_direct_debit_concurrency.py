"""Two people exporting the direct-debit batch, or scheduling the same debit, at the
same moment (PostgreSQL, real row locks): every debit leaves in one file only."""

import datetime

import pytest

from facturier.core.errors import DomainError
from facturier.invoicing import actions as invoicing
from facturier.receivables import actions
from facturier.receivables.models import Debit, DebitBatch
from tests.receivables.test_concurrency import LINE, run_together
from tests.receivables.test_direct_debits import MANDATE, SETTINGS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def creditor(firm, make_user):
    from django.contrib.auth.models import Permission

    user = make_user("sam", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    actions.save_sepa_settings(firm.pk, by=type(user).objects.get(pk=user.pk), fields=SETTINGS)


def test_two_exports_at_once_never_send_a_debit_twice(creditor, client_entity, make_draft, alice):
    actions.create_mandate(client_entity, by=alice, fields=MANDATE)
    for _round in range(3):
        for _ in range(3):
            invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
            actions.schedule_debit(invoice, by=alice)
        outcomes = run_together([lambda: actions.export_debit_batch(by=alice) for _ in range(3)])
        batches = [o for o in outcomes if isinstance(o, DebitBatch)]
        refused = [o for o in outcomes if isinstance(o, DomainError)]
        assert len(batches) == 1, outcomes
        assert batches[0].count == 3
        assert all(o.codes == {"batch": ["nothing_due"]} for o in refused), outcomes
    assert not Debit.objects.filter(status="scheduled").exists()
    assert Debit.objects.filter(batch__isnull=True).count() == 0
    assert sum(DebitBatch.objects.values_list("count", flat=True)) == Debit.objects.count() == 9


def test_scheduling_one_invoice_twice_at_once_makes_one_debit(
    creditor, client_entity, make_draft, alice
):
    actions.create_mandate(client_entity, by=alice, fields=MANDATE)
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    outcomes = run_together([lambda: actions.schedule_debit(invoice, by=alice) for _ in range(3)])
    assert sum(isinstance(o, Debit) for o in outcomes) == 1, outcomes
    assert Debit.objects.filter(invoice=invoice).count() == 1
    assert datetime.date.today() < Debit.objects.get().due_date
