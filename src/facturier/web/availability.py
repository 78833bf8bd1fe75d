"""Which actions apply to an invoice for a user, and if not, why not, in words.

The toolbar disables what does not apply and shows the reason; both come from
the rules the actions themselves enforce (invoicing.permissions.refusal), so a
button is enabled exactly when the action would be carried out.
"""

from django.utils import timezone

from facturier.clients.permissions import lacking_processing, owns
from facturier.invoicing import permissions
from facturier.invoicing.models import Invoice
from facturier.receivables import rules
from facturier.receivables.dunning import reminder_blocks

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


def why_not(user, invoice: Invoice, *, pending: bool | None = None) -> dict[str, str]:
    """Action name -> reason it does not apply ('' when it does).

    `pending`: whether an e-mail of the invoice is under way, when the caller knows.
    """
    return Reasons(user, [invoice])(invoice, pending=pending)


class Reasons:
    """`why_not` for the rows of a page, for one user.

    The answers depend on a few facts of an invoice only: its firm, status and kind,
    whether the user owns its client, whether it was sent, whether it still owes and
    whether it is overdue. A page of 25 rows has a few such combinations, so each is
    asked of the rules once (tests check the answers against the rules asked row by
    row).

    Whether a reminder can go also depends on the firm's data (pauses, the client's
    credit, the levels sent): read once for the page's `invoices`.
    """

    def __init__(self, user, invoices=()):
        self.user = user
        self.today = timezone.localdate()
        self.rules: dict[tuple, dict[str, str]] = {}
        self.remind_blocks: dict[int, str] = {}
        if invoices and lacking_processing(user) is None:
            blocks = reminder_blocks(list(invoices), today=self.today)
            self.remind_blocks = {pk: str(reason.hint) for pk, reason in blocks.items()}

    def __call__(self, invoice: Invoice, *, pending: bool | None = None) -> dict[str, str]:
        sent = permissions.was_sent(invoice, pending=pending)
        balance, due = invoice.balance, invoice.due_date
        facts = (
            invoice.firm_id,
            invoice.status,
            invoice.kind,
            owns(self.user, invoice.client_id),
            sent,
            None if balance is None else balance > 0,
            due is not None and due < self.today,
            invoice.deducted_by_id if invoice.deposit else None,  # see the credit rule
        )
        rules = self.rules.get(facts)
        if rules is None:
            rules = self.rules[facts] = {
                name: _hint(permissions.refusal(name, self.user, invoice, sent=sent))
                for name in ROW_ACTIONS
                if name not in ("pdf", "pay", "remind")
            }
            rules.update(
                pdf="",  # whoever sees one views its PDF
                pay=pay_reason(self.user, invoice, today=self.today),
                remind=remind_reason(self.user, invoice, today=self.today),
            )
        answer = dict(rules)
        if not answer["remind"] and invoice.pk in self.remind_blocks:
            answer["remind"] = self.remind_blocks[invoice.pk]
        return answer


def _hint(refusal) -> str:
    return refusal.hint if refusal is not None else ""


def pay_reason(user, invoice: Invoice, *, today=None) -> str:
    """Why a payment cannot be recorded for the invoice ('' when it can)."""
    return _hint(rules.refusal("pay", user, invoice, today=today or timezone.localdate()))


def remind_reason(user, invoice: Invoice, *, today=None) -> str:
    """Why a reminder cannot be sent for the invoice now ('' when it can)."""
    return _hint(rules.refusal("remind", user, invoice, today=today or timezone.localdate()))


def send_mode(reasons: dict[str, str]) -> str | None:
    """The e-mail action that applies to one invoice: "send", "resend", or None."""
    if not reasons["send"]:
        return "send"
    if not reasons["resend"]:
        return "resend"
    return None
