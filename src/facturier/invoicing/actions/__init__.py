"""Every change of invoicing state, one function each (see each module).

Callers import from here: `from facturier.invoicing import actions`.
"""

from .audit import record_event
from .balances import lock_invoices, move_balance
from .credit_notes import create_credit_note
from .deposits import (
    deduct_deposits,
    deposit_amount,
    deposits_to_deduct,
    draft_deposit,
    release_deposits,
)
from .email_outcomes import record_email_outcome
from .email_retries import retry_email, retry_failed_emails
from .invoices import (
    MENTION_FIELDS,
    PreparedDraft,
    close_invoice,
    close_invoices,
    create_draft,
    create_drafts,
    delete_draft,
    delete_drafts,
    finalize_invoice,
    prepare_draft,
    reopen_invoice,
    reopen_invoices,
    update_draft,
)
from .numbering import update_numbering
from .pdfs import einvoice_xml, pdf_for, store_pdf
from .sending import (
    HEADER_BREAKERS,
    MAX_MESSAGE,
    MAX_SUBJECT,
    check_texts,
    clean_addresses,
    send_invoices,
)
from .templates import (
    archive_template,
    can_manage_templates,
    get_template,
    sample_snapshot,
    save_template,
    set_default_template,
)
from .wip import bill_target, draft_from_wip, hold_on_draft, realization_percent, wip_lines

__all__ = [
    "einvoice_xml",
    "HEADER_BREAKERS",
    "MAX_MESSAGE",
    "MAX_SUBJECT",
    "MENTION_FIELDS",
    "archive_template",
    "can_manage_templates",
    "check_texts",
    "clean_addresses",
    "close_invoice",
    "close_invoices",
    "create_credit_note",
    "create_draft",
    "create_drafts",
    "prepare_draft",
    "PreparedDraft",
    "delete_draft",
    "delete_drafts",
    "bill_target",
    "draft_from_wip",
    "hold_on_draft",
    "wip_lines",
    "deduct_deposits",
    "deposit_amount",
    "deposits_to_deduct",
    "draft_deposit",
    "release_deposits",
    "realization_percent",
    "finalize_invoice",
    "get_template",
    "lock_invoices",
    "move_balance",
    "pdf_for",
    "record_email_outcome",
    "record_event",
    "reopen_invoice",
    "reopen_invoices",
    "retry_email",
    "retry_failed_emails",
    "sample_snapshot",
    "save_template",
    "send_invoices",
    "set_default_template",
    "store_pdf",
    "update_draft",
    "update_numbering",
]
