"""A direct debit the bank sends back (an R-transaction in a camt.053 or camt.054): the
debit is marked returned with its ISO reason, and the mandate is revoked when the
reason says it no longer holds. The money, if a settlement line recorded it as a
payment, is reversed the way every bank return is (bank_returns.py)."""

from django.utils.translation import gettext as _

from facturier.core.actions import action
from facturier.core.errors import InvalidTransition, NotFound
from facturier.firms import audit
from facturier.firms.models import User

from ..debit_matching import debit_id
from ..direct_debits import Debit, Mandate
from ..events import AuditName
from ..models import StatementLine
from .bank_returns import undo_returned_payment
from .common import require_right
from .payments import delete_payment

# Closed account, no mandate: the mandate cannot be used again.
REVOKING = frozenset({"AC04", "MD01"})
# Sent to the bank, or settled already (a return after the collection's credit).
RETURNABLE = (Debit.Status.SENT, Debit.Status.SETTLED)


def debit_of(firm_id: int, reference: str) -> Debit | None:
    """The firm's exported debit a return's end-to-end reference names, or None."""
    pk = debit_id(reference)
    if pk is None:
        return None
    return Debit.objects.filter(firm_id=firm_id, pk=pk, status__in=RETURNABLE).first()


@action
def return_debit(debit: Debit | int, *, by: User, reason: str) -> Debit:
    """Mark an exported debit returned for `reason` (an ISO code such as AM04); AC04 and
    MD01 revoke its mandate."""
    require_right(by)
    pk = debit.pk if isinstance(debit, Debit) else debit
    debit = (
        Debit.objects.select_for_update(of=("self",))
        .select_related("mandate", "invoice")
        .filter(pk=pk, firm_id=by.firm_id)
        .first()
    )
    if debit is None:
        raise NotFound(_("No such debit."))
    if debit.status not in RETURNABLE:
        raise InvalidTransition(_("Only a debit sent to the bank can be returned."))
    code = (reason or "").strip().upper()[:4]
    if debit.payment_id is not None:
        delete_payment(debit.payment_id, by=by)  # the invoice owes it again
    debit.status, debit.return_reason, debit.payment = Debit.Status.RETURNED, code, None
    debit.save(update_fields=["status", "return_reason", "payment"])
    mandate = debit.mandate
    if code in REVOKING and mandate.status != Mandate.Status.REVOKED:
        before = mandate.status
        Mandate.objects.filter(pk=mandate.pk).update(status=Mandate.Status.REVOKED)
        audit.record(
            AuditName.MANDATE_STATUS_CHANGED,
            mandate,
            by=by,
            firm_id=debit.firm_id,
            from_status=before,
            to_status=Mandate.Status.REVOKED,
            details={"reason": code},
        )
    audit.record(
        AuditName.DEBIT_RETURNED,
        debit.invoice,
        by=by,
        firm_id=debit.firm_id,
        details={"reason": code, "amount": debit.amount, "mandate": mandate.reference},
    )
    return debit


def return_debits_of(statement_lines, *, by: User, at) -> int:
    """The returns of a bank file that name an exported debit, applied: the debit
    returned, and the payment its settlement was recorded as (if it was) cancelled, which
    reopens the invoice. The others stay on the statement, set aside as returns, for a
    person to see."""
    done = 0
    for line in statement_lines.select_related("returns"):
        debit = debit_of(line.firm_id, line.reference)
        if debit is None:
            continue
        settled = debit.payment_id is not None
        return_debit(debit, by=by, reason=(line.skip_detail or "").split(" ")[0])
        if settled:  # its payment cancelled with it
            line.state = StatementLine.State.UNDONE
            line.save(update_fields=["state"])
        elif line.returns is not None and line.returns.payment_id is not None:
            undo_returned_payment(line, by=by, at=at)
        done += 1
    return done
