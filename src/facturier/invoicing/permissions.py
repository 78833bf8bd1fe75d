"""Who may see and do what with invoices, declared once.

Two facts about a user decide everything (clients/permissions.py): do they hold
the processing permission, and which clients do they own. The list a user sees
(`visible_invoices`) and each rule below are built from the same two facts, so
they cannot disagree (tests check them against each other and against the
README's table).

Each rule says which lifecycle transition it is (so from which statuses it
applies) and which of the two facts it needs. `refusal()` reads the rule and
returns the error a user gets, in words that say what they lack; the actions
raise it, the toolbar shows it on disabled buttons, the e-mail dialog and the
API return it.

| rule                                          | needs                                 |
| --------------------------------------------- | ------------------------------------- |
| see an invoice, view its PDF                  | owner of the client, or processing    |
| create, edit, delete, finalize, send, resend, | owner of the client AND processing    |
| retry a failed e-mail                         |                                       |
| close, revert to finalized, see closed ones   | processing                            |
| create a credit note for an issued invoice    | owner of the client AND processing    |
"""

import enum
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from facturier.clients.permissions import (
    can_process,
    in_a_firm,
    lacking_owner_and_processing,
    lacking_processing,
    owned_client_ids,
    owned_clients_q,
    owns,
)
from facturier.core.errors import (
    AlreadySent,
    DepositDeducted,
    DomainError,
    InvalidTransition,
    NotAllowed,
    NotFound,
)

from . import lifecycle
from .lifecycle import Action, InvoiceStatus
from .models import Invoice


class Need(enum.Enum):
    OWNER_AND_PROCESSING = "owner_and_processing"
    PROCESSING = "processing"


@dataclass(frozen=True)
class Rule:
    name: str
    action: Action  # the transition: the statuses it applies from
    needs: Need
    applies_to: Promise  # said on a disabled button when the status is wrong


DRAFTS_ONLY = _("Applies to drafts only.")
FINALIZED_ONLY = _("Applies to finalized invoices only.")
CLOSED_ONLY = _("Applies to closed invoices only.")
ISSUED_ONLY = _("Applies to finalized or closed invoices only.")
NOT_A_CREDIT_NOTE = _("Applies to invoices, not to credit notes.")

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in [
        Rule("edit", Action.UPDATE, Need.OWNER_AND_PROCESSING, DRAFTS_ONLY),
        Rule("delete", Action.DELETE, Need.OWNER_AND_PROCESSING, DRAFTS_ONLY),
        Rule("finalize", Action.FINALIZE, Need.OWNER_AND_PROCESSING, DRAFTS_ONLY),
        Rule("send", Action.SEND, Need.OWNER_AND_PROCESSING, FINALIZED_ONLY),
        Rule("resend", Action.SEND, Need.OWNER_AND_PROCESSING, FINALIZED_ONLY),
        # A failed e-mail queued again: who may send the invoice, while it may be sent.
        Rule("retry", Action.SEND, Need.OWNER_AND_PROCESSING, FINALIZED_ONLY),
        Rule("close", Action.CLOSE, Need.PROCESSING, FINALIZED_ONLY),
        Rule("reopen", Action.REOPEN, Need.PROCESSING, CLOSED_ONLY),
        Rule("credit", Action.CREDIT, Need.OWNER_AND_PROCESSING, ISSUED_ONLY),
    ]
}

WRONG_STATUS = _("Invoice %(invoice)s is %(status)s: it cannot be %(action)s.")
# The "never sent" rule: Send takes invoices never sent (nor being sent); Resend the others.
ALREADY_SENT = _("Invoice %(invoice)s was already sent: resend it on its own.")
ALREADY_SENT_HINT = _("Already sent: resend it on its own.")
DEDUCTED = _(
    "The deposit invoice %(invoice)s is deducted by invoice %(final)s: credit %(final)s instead."
)
DEDUCTED_HINT = _("Deducted by an issued invoice: credit that invoice instead.")
NEVER_SENT = _("Invoice %(invoice)s was never sent: use Send.")
NEVER_SENT_HINT = _("Never sent yet: use Send.")


def lacking(user, client_id: int | None, needs: Need) -> NotAllowed | None:
    """The refusal for a user who lacks what `needs` asks on this client, or None."""
    if needs is Need.PROCESSING:
        lack = lacking_processing(user)
    else:
        lack = lacking_owner_and_processing(user, client_id)
    return None if lack is None else NotAllowed(lack)


def refusal(name: str, user, invoice: Invoice, *, sent: bool | None = None) -> DomainError | None:
    """Why `user` may not do `name` to `invoice` now, or None if they may.

    `sent`: whether the invoice was sent or is being sent (see `was_sent`); only
    the send and resend rules read it.
    """
    rule = RULES[name]
    if not can_view(user, invoice):  # no right on what one cannot see, nor a word of it
        return NotFound(_("No such invoice."))
    # Rights next: who may not act is told what they lack, not the invoice's state.
    lack = lacking(user, invoice.client_id, rule.needs)
    if lack is not None:
        return lack
    if not lifecycle.applies(rule.action, invoice.status):
        return InvalidTransition(
            WRONG_STATUS,
            hint=rule.applies_to,
            invoice=str(invoice),
            status=lifecycle.STATUS_PHRASE[invoice.status],
            action=rule.action.label,
        )
    if name == "credit" and invoice.kind != "invoice":
        return InvalidTransition(NOT_A_CREDIT_NOTE, hint=NOT_A_CREDIT_NOTE)
    if name == "credit" and invoice.deposit and invoice.deducted_by_id:
        return _deducted_refusal(invoice)
    if name in ("send", "resend"):
        if sent is None:
            sent = was_sent(invoice)
        if name == "send" and sent:
            return AlreadySent(ALREADY_SENT, hint=ALREADY_SENT_HINT, invoice=str(invoice))
        if name == "resend" and not sent:
            return InvalidTransition(NEVER_SENT, hint=NEVER_SENT_HINT, invoice=str(invoice))
    return None


def _deducted_refusal(invoice: Invoice) -> DomainError | None:
    """A deposit an issued invoice deducts is not credited: its final invoice is."""
    final = invoice.deducted_by
    if final.status == InvoiceStatus.DRAFT:
        return None
    return DepositDeducted(DEDUCTED, hint=DEDUCTED_HINT, invoice=str(invoice), final=str(final))


def may(name: str, user, invoice: Invoice, *, sent: bool | None = None) -> bool:
    return refusal(name, user, invoice, sent=sent) is None


def was_sent(invoice: Invoice, *, pending: bool | None = None) -> bool:
    """Sent at least once, or a delivery is under way: a first send is over."""
    if invoice.sent_count:
        return True
    if pending is None:
        pending = invoice.deliveries.filter(status__in=invoice.deliveries.model.PENDING).exists()
    return pending


def create_refusal(user, client_id: int | None) -> NotAllowed | None:
    """Creating a draft, for a client the user can see (the caller hides the others)."""
    return lacking(user, client_id, Need.OWNER_AND_PROCESSING)


def may_create_some(user) -> bool:
    return can_process(user) and bool(owned_client_ids(user))


def may_see_closed(user) -> bool:
    return can_process(user)


# --- what a user sees -------------------------------------------------------------------


def visible_invoices_q(user) -> Q:
    """Owners see their clients' invoices, but closed ones only with the processing
    permission; the processing permission sees the firm's."""
    if not in_a_firm(user):
        return Q(pk__in=[])
    same_firm = Q(firm_id=user.firm_id)
    if can_process(user):
        return same_firm
    return same_firm & owned_clients_q(user) & ~Q(status=InvoiceStatus.CLOSED)


def visible_invoices(user) -> QuerySet[Invoice]:
    return Invoice.objects.filter(visible_invoices_q(user))


def can_view(user, invoice: Invoice) -> bool:
    if not in_a_firm(user) or invoice.firm_id != user.firm_id:
        return False
    if can_process(user):
        return True
    return owns(user, invoice.client_id) and invoice.status != InvoiceStatus.CLOSED


def sees(user, *, owner: bool, status: str) -> bool:
    """can_view for an invoice of the user's firm when the caller read whether the user
    owns its client along with the invoice: an owner's open invoice needs no other
    query; otherwise the processing permission decides."""
    return in_a_firm(user) and ((owner and status != InvoiceStatus.CLOSED) or can_process(user))
