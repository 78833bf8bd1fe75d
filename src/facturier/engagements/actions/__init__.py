"""Every change of engagements' state, one function each (see each module).

Callers import from here: `from facturier.engagements import actions`.
"""

from .billing import RunResult, bill_due_periods, bill_engagements_due
from .engagements import (
    ENGAGEMENT_FIELDS,
    MISSION_FIELDS,
    amend_engagement,
    create_engagement,
    end_engagement,
)
from .indices import save_index_value
from .pausing import pause_billing, resume_billing

__all__ = [
    "ENGAGEMENT_FIELDS",
    "MISSION_FIELDS",
    "RunResult",
    "amend_engagement",
    "bill_due_periods",
    "bill_engagements_due",
    "create_engagement",
    "end_engagement",
    "pause_billing",
    "resume_billing",
    "save_index_value",
]
