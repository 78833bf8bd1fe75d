"""Every change of receivables state, one function each.

Callers import from here: `from facturier.receivables import actions`.
"""

from .credit import (
    allocate_credit_note,
    allocate_payment,
    refund_credit,
    refund_credit_note,
    remove_allocation,
)
from .payments import delete_payment, record_payment, update_payment
from .statements import confirm_statement_lines, import_statement

__all__ = [
    "allocate_credit_note",
    "allocate_payment",
    "confirm_statement_lines",
    "delete_payment",
    "import_statement",
    "record_payment",
    "refund_credit",
    "refund_credit_note",
    "remove_allocation",
    "update_payment",
]
