"""The bank's credit for exported direct debits (camt.053): each debit it settles turns
into one payment of its invoice, by direct debit; the line is recorded as settled."""

from django.db import transaction
from django.db.models import QuerySet

from facturier.core.errors import DomainError
from facturier.firms import audit

from ..debit_matching import settled_debits
from ..direct_debits import Debit
from ..events import AuditName
from ..models import Payment, StatementLine
from .payments import record_payment


def _settle(debit: Debit, line: StatementLine, *, by, at) -> Payment:
    payment = record_payment(
        by=by,
        client=debit.invoice.client_id,
        amount=debit.amount,
        currency="EUR",
        received_on=line.booked_on,
        method=Payment.Method.DIRECT_DEBIT,
        reference=f"{debit.mandate.reference} DD{debit.pk}"[:140],
        allocations=[{"invoice": debit.invoice_id}],
        now=at,
    )
    debit.status, debit.payment = Debit.Status.SETTLED, payment
    debit.save(update_fields=["status", "payment"])
    audit.record(
        AuditName.DEBIT_SETTLED,
        debit.invoice,
        by=by,
        firm_id=debit.firm_id,
        at=at,
        details={"amount": debit.amount, "mandate": debit.mandate.reference, "line": line.line},
    )
    return payment


def settle_debits_of(statement_lines: QuerySet[StatementLine], *, by, at) -> int:
    """The credits of a bank file that settle exported debits, recorded: one payment per
    invoice; the others stay proposed on the statement. Called inside the import."""
    lines = list(
        statement_lines.filter(skip="", state=StatementLine.State.PROPOSED)
        .exclude(reference="")
        .order_by("line")
    )
    done = 0
    for line, debits in zip(lines, settled_debits(by.firm_id, lines), strict=True):
        if not debits:
            continue
        locked = list(
            Debit.objects.select_for_update(of=("self",))
            .select_related("mandate", "invoice")
            .filter(pk__in=[d.pk for d in debits], status=Debit.Status.SENT)
        )
        if len(locked) != len(debits):
            continue  # settled or returned meanwhile: left for a person
        try:
            with transaction.atomic():
                payments = [_settle(debit, line, by=by, at=at) for debit in locked]
        except DomainError:
            continue  # an invoice that cannot take it (credited, paid otherwise...): for a person
        line.state, line.match = StatementLine.State.CONFIRMED, StatementLine.Match.DEBIT
        line.invoice = locked[0].invoice if len(locked) == 1 else None
        line.payment = payments[0] if len(payments) == 1 else None
        line.save(update_fields=["state", "match", "invoice", "payment"])
        done += len(locked)
    return done
