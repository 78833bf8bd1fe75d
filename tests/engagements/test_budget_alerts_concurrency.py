"""Budget checks at the same moment in several workers (PostgreSQL, real transactions):
each threshold is told once, with one e-mail."""

from decimal import Decimal

import pytest

from facturier.access.models import AccountEmail
from facturier.engagements import actions
from facturier.engagements.models import BudgetAlert, MissionEntry
from facturier.work import actions as work_actions

from .test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_checks_at_once_tell_each_threshold_once(worker, client_entity, engagement):
    mission = engagement.missions.get(name="Tenue comptable")
    actions.add_budget(mission, by=worker, year=2027, hours="10", fees="500")
    # 10,5 h at 100: past both thresholds, for hours and value alike.
    work_actions.record_entries(
        [{"client": client_entity.pk, "work_code": "COMPTA", "day": "2027-03-01", "hours": 10.5}],
        by=worker,
    )
    assert MissionEntry.objects.filter(mission=mission).count() == 1
    BudgetAlert.objects.all().delete()  # as if the check after the commit had been lost
    AccountEmail.objects.all().delete()
    outcomes = run_together(
        [lambda: actions.check_budgets(mission_ids=[mission.pk], firm_id=worker.firm_id)] * 4
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(BudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    assert AccountEmail.objects.filter(purpose="budget_alert").count() == 2
    assert sum(len(o) for o in outcomes) == 2
    assert BudgetAlert.objects.get(threshold=100).hours_percent == Decimal("105.0")
