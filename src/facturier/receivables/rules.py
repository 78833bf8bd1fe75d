"""What may be done about what an invoice owes, declared once: pay it, remind the
client of it, credit it. Read by the actions, the toolbar and its dialogs, and the
API, as `invoicing.permissions` is for the invoice's lifecycle.

| rule   | applies to                                       | needs                              |
| ------ | ------------------------------------------------ | ---------------------------------- |
| pay    | an issued invoice with something left to pay     | processing                         |
| remind | a finalized invoice, owing, past its due date    | processing                         |
| credit | an issued invoice (invoicing's "credit" rule)    | owner of the client AND processing |

Each rule answers with the refusal a person reads (its `hint` on a disabled button),
or None when it applies.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from facturier.clients.permissions import lacking_processing
from facturier.core.errors import DomainError, InvalidTransition, NotAllowed, NotFound
from facturier.invoicing import permissions as invoice_rules
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice

NOTHING_TO_PAY = _("Nothing left to pay.")
ONLY_INVOICES_PAID = _("Applies to invoices, not to credit notes.")
ONLY_FINALIZED_REMINDED = _("Only finalized invoices can be reminded.")
NOTHING_OWED = _("Nothing is owed on this invoice.")
NOT_OVERDUE = _("This invoice is not overdue yet.")


@dataclass(frozen=True)
class Reason:
    """Why a rule does not apply: a stable code, the few words a disabled button shows,
    and the sentence an action's refusal says, naming the invoice."""

    code: str
    hint: Promise
    message: Promise

    def says(self, invoice: Invoice) -> str:
        return str(self.message) % {"invoice": invoice, "document": invoice}


DRAFT = Reason(
    "draft",
    invoice_rules.FINALIZED_ONLY,
    _("Invoice %(invoice)s is a draft: only finalized invoices are paid."),
)
CREDIT_NOTE = Reason(
    "not_an_invoice",
    ONLY_INVOICES_PAID,
    _("%(document)s is a credit note: only invoices are paid."),
)
PAID = Reason("nothing_owed", NOTHING_TO_PAY, _("Invoice %(invoice)s has nothing left to pay."))
NOT_FINALIZED = Reason("not_finalized", ONLY_FINALIZED_REMINDED, ONLY_FINALIZED_REMINDED)
OWES_NOTHING = Reason("nothing_owed", NOTHING_OWED, NOTHING_OWED)
NOT_DUE = Reason("not_overdue", NOT_OVERDUE, NOT_OVERDUE)
# Beyond the invoice's state, what `dunning.reminder_blocks` reads from the firm's data.
PAUSED = Reason(
    "paused",
    _("Reminders are paused for this invoice or its client."),
    _("Reminders are paused for invoice %(invoice)s or its client."),
)
COVERED = Reason(
    "covered_by_credit",
    _("The client's credit covers this invoice: allocate it instead."),
    _("The client's credit covers invoice %(invoice)s: allocate it instead."),
)
LEVELS_SENT = Reason(
    "levels_sent",
    _("Every reminder level was sent already."),
    _("Every reminder level was sent already for invoice %(invoice)s."),
)
NO_LEVELS = Reason(
    "no_levels",
    _("Set up the reminder levels first (Settings)."),
    _("Set up the reminder levels first (Settings)."),
)


@dataclass(frozen=True)
class Rule:
    name: str
    # Why the invoice's state keeps the rule from applying on `today`, or None.
    state: Callable[[Invoice, datetime.date], Reason | None]


def _payable(invoice: Invoice, today: datetime.date) -> Reason | None:
    if invoice.status == InvoiceStatus.DRAFT or invoice.balance is None:
        return DRAFT
    if invoice.kind != DocumentKind.INVOICE:
        return CREDIT_NOTE
    if invoice.balance <= 0:
        return PAID
    return None


def _remindable(invoice: Invoice, today: datetime.date) -> Reason | None:
    if invoice.kind != DocumentKind.INVOICE or invoice.status != InvoiceStatus.FINALIZED:
        return NOT_FINALIZED
    if invoice.balance is None or invoice.balance <= 0:
        return OWES_NOTHING
    if invoice.due_date is None or invoice.due_date >= today:
        return NOT_DUE
    return None


RULES: dict[str, Rule] = {
    rule.name: rule for rule in [Rule("pay", _payable), Rule("remind", _remindable)]
}


def state_refusal(name: str, invoice: Invoice, *, today: datetime.date) -> Reason | None:
    """Why the invoice's state keeps rule `name` from applying; None if it does."""
    return RULES[name].state(invoice, today)


def refusal(name: str, user, invoice: Invoice, *, today: datetime.date) -> DomainError | None:
    """Why `user` may not do `name` ("pay", "remind" or "credit") to `invoice`, or None."""
    if name == "credit":
        return invoice_rules.refusal("credit", user, invoice)
    if not invoice_rules.can_view(user, invoice):
        return NotFound(_("No such invoice."))
    lack = lacking_processing(user)
    if lack is not None:
        return NotAllowed(lack)
    reason = state_refusal(name, invoice, today=today)
    if reason is None:
        return None
    return InvalidTransition(reason.says(invoice), hint=reason.hint)
