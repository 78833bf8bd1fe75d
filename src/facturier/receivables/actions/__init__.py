"""Every change of receivables state, one function each.

Callers import from here: `from facturier.receivables import actions`.
"""

from .bank_files import confirm_statement_lines, import_bank_statement
from .credit import (
    allocate_credit_note,
    allocate_payment,
    refund_credit,
    refund_credit_note,
    remove_allocation,
)
from .debit_returns import return_debit
from .direct_debits import (
    SENSITIVE_SETTINGS_FIELDS,
    create_mandate,
    export_debit_batch,
    save_sepa_settings,
    schedule_debit,
    set_mandate_status,
    sign_mandate_online,
)
from .exports import save_ledger
from .letters import (
    retry_failed_letters,
    retry_letter,
    send_statement_of_account,
    statement_of_account_pdf,
)
from .payments import delete_payment, record_payment, update_payment
from .reminders import (
    default_levels,
    save_levels,
    send_due_reminders,
    send_reminder_now,
    set_pause,
)

__all__ = [
    "SENSITIVE_SETTINGS_FIELDS",
    "allocate_credit_note",
    "allocate_payment",
    "confirm_statement_lines",
    "create_mandate",
    "default_levels",
    "delete_payment",
    "export_debit_batch",
    "import_bank_statement",
    "record_payment",
    "refund_credit",
    "refund_credit_note",
    "remove_allocation",
    "retry_failed_letters",
    "return_debit",
    "retry_letter",
    "save_ledger",
    "save_sepa_settings",
    "schedule_debit",
    "save_levels",
    "send_due_reminders",
    "send_reminder_now",
    "send_statement_of_account",
    "set_mandate_status",
    "sign_mandate_online",
    "set_pause",
    "statement_of_account_pdf",
    "update_payment",
]
