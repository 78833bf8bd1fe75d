"""Every change of engagements' state, one function each (see each module).

Callers import from here: `from facturier.engagements import actions`.
"""

from .alerts import ALERT_PASS_SECONDS, check_all_budgets, check_budgets, crossed
from .billing import RunResult, bill_due_periods, bill_engagements_due
from .budgets import add_budget, change_budget, remove_budget, set_budget_thresholds
from .deposits import deposit_value, draft_engagement_deposit
from .engagements import (
    ENGAGEMENT_FIELDS,
    MISSION_FIELDS,
    amend_engagement,
    create_engagement,
    end_engagement,
)
from .indices import save_index_value
from .letters import (
    MAX_SIGNED_COPY,
    TEMPLATE_FIELDS,
    LetterRefused,
    activate_letter,
    create_letter,
    record_letter_email_outcome,
    save_letter_template,
    seed_letter_templates,
    send_letter,
    sign_letter_online,
    signed_copy_refusal,
    upload_signed_copy,
)
from .pausing import pause_billing, resume_billing

__all__ = [
    "deposit_value",
    "draft_engagement_deposit",
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
    "MAX_SIGNED_COPY",
    "TEMPLATE_FIELDS",
    "LetterRefused",
    "RunResult",
    "activate_letter",
    "amend_engagement",
    "bill_due_periods",
    "bill_engagements_due",
    "create_engagement",
    "create_letter",
    "end_engagement",
    "pause_billing",
    "resume_billing",
    "record_letter_email_outcome",
    "save_index_value",
    "save_letter_template",
    "seed_letter_templates",
    "send_letter",
    "sign_letter_online",
    "signed_copy_refusal",
    "upload_signed_copy",
]
