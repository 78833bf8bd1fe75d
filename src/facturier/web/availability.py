"""Which actions apply to an invoice for a user, and if not, why not, in words.

The toolbar disables what does not apply and shows the reason; both come from
the rules the actions themselves enforce (invoicing.permissions.refusal), so a
button is enabled exactly when the action would be carried out.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.invoicing import permissions
from facturier.invoicing.models import Invoice
from facturier.receivables.actions.reminders import reminder_refusal
from facturier.receivables.permissions import payment_refusal

ROW_ACTIONS = (
    "edit",
    "delete",
    "finalize",
    "send",
    "resend",
    "pdf",
    "close",
    "reopen",
    "pay",
    "credit",
    "remind",
)
NOTHING_TO_PAY = _("Nothing left to pay.")


def why_not(user, invoice: Invoice, *, pending: bool | None = None) -> dict[str, str]:
    """Action name -> reason it does not apply ('' when it does).

    `pending`: whether an e-mail of the invoice is under way, when the caller knows.
    """
    sent = permissions.was_sent(invoice, pending=pending)
    reasons = {  # whoever sees one views its PDF
        "pdf": "",
        "pay": pay_reason(user, invoice),
        "remind": remind_reason(user, invoice),
    }
    for name in ROW_ACTIONS:
        if name not in reasons:
            refusal = permissions.refusal(name, user, invoice, sent=sent)
            reasons[name] = refusal.hint if refusal is not None else ""
    return reasons


def pay_reason(user, invoice: Invoice) -> str:
    """Why a payment cannot be recorded for the invoice ('' when it can)."""
    refusal = payment_refusal(user)
    if refusal is not None:
        return refusal.hint
    if invoice.balance is None:
        return str(permissions.FINALIZED_ONLY)
    if invoice.balance <= 0:
        return str(NOTHING_TO_PAY)
    return ""


def remind_reason(user, invoice: Invoice) -> str:
    """Why a reminder cannot be sent for the invoice now ('' when it can)."""
    refusal = payment_refusal(user)
    if refusal is not None:
        return refusal.hint
    return reminder_refusal(invoice, timezone.localdate()) or ""


def send_mode(reasons: dict[str, str]) -> str | None:
    """The e-mail action that applies to one invoice: "send", "resend", or None."""
    if not reasons["send"]:
        return "send"
    if not reasons["resend"]:
        return "resend"
    return None
