"""Every change of work state, one function each (see each module): work codes, staff
rates, time and expense entries; and what invoicing asks of entries (lock them for a
draft, move them along WIP).

Callers import from here: `from facturier.work import actions`.
"""

from .entries import MAX_RECEIPT, attach_receipt, delete_entry, record_entries, update_entry
from .for_invoicing import lock_unbilled, set_state
from .hours import parse_hours, spread, workdays
from .staff_rates import set_rate
from .wip import refresh_stale_wip, refresh_wip_today
from .work_codes import import_work_codes, save_work_code

__all__ = [
    "MAX_RECEIPT",
    "attach_receipt",
    "delete_entry",
    "import_work_codes",
    "lock_unbilled",
    "parse_hours",
    "record_entries",
    "refresh_stale_wip",
    "refresh_wip_today",
    "save_work_code",
    "set_rate",
    "set_state",
    "spread",
    "update_entry",
    "workdays",
]
