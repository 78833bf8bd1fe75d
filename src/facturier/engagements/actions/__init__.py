"""Every change of engagements' state, one function each (see each module).

Callers import from here: `from facturier.engagements import actions`.
"""

from .alerts import ALERT_PASS_SECONDS, check_all_budgets, check_budgets, crossed
from .billing import RunResult, bill_due_periods
from .budgets import add_budget, change_budget, remove_budget, set_budget_thresholds
from .engagements import (
    ENGAGEMENT_FIELDS,
    MISSION_FIELDS,
    amend_engagement,
    create_engagement,
    end_engagement,
)
from .indices import save_index_value

__all__ = [
    "ALERT_PASS_SECONDS",
    "add_budget",
    "change_budget",
    "check_all_budgets",
    "check_budgets",
    "crossed",
    "remove_budget",
    "set_budget_thresholds",
    "ENGAGEMENT_FIELDS",
    "MISSION_FIELDS",
    "RunResult",
    "amend_engagement",
    "bill_due_periods",
    "create_engagement",
    "end_engagement",
    "save_index_value",
]
