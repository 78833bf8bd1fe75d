"""The read side of receivables: payments, what they paid, what a client has in credit."""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from facturier.invoicing.models import Invoice, Kind
from facturier.invoicing.permissions import visible_invoices

from .models import Allocation, BankStatement, CsvMapping, Payment, StatementLine
from .permissions import may_record, visible_payments


def payment_list(*, user, client_id: int | None = None) -> QuerySet[Payment]:
    payments = visible_payments(user).select_related("client", "recorded_by")
    if client_id is not None:
        payments = payments.filter(client_id=client_id)
    return payments.order_by("-received_on", "-id")


def payment_detail(*, user, pk: int) -> Payment | None:
    return payment_list(user=user).filter(pk=pk).first()


def payment_allocations(*, payment: Payment) -> QuerySet[Allocation]:
    return payment.allocations.select_related("invoice", "created_by").order_by("on", "id")


def invoice_allocations(*, invoice: Invoice) -> QuerySet[Allocation]:
    return invoice.allocations.select_related("payment", "credit_note", "created_by").order_by(
        "on", "id"
    )


def client_credit(*, client_id: int) -> dict[str, Decimal]:
    """Currency -> the client's credit: what its payments have not allocated and what its
    credit notes left (only non-zero)."""
    credit: dict[str, Decimal] = {}
    for currency, total in (
        Payment.objects.filter(client_id=client_id, unallocated__gt=0)
        .values_list("currency")
        .annotate(total=Sum("unallocated"))
        .order_by()
    ):
        credit[currency] = credit.get(currency, Decimal(0)) + total
    for currency, total in (
        credit_notes_with_credit(client_id=client_id)
        .values_list("currency")
        .annotate(total=Sum("credit_left"))
        .order_by()
    ):
        credit[currency] = credit.get(currency, Decimal(0)) + total
    return dict(sorted(credit.items()))


def credit_notes_with_credit(*, client_id: int) -> QuerySet[Invoice]:
    """The client's issued credit notes with credit left to allocate or refund."""
    return Invoice.objects.filter(
        client_id=client_id, kind=Kind.CREDIT_NOTE, credit_left__gt=0
    ).order_by("issue_date", "pk")


def payable_invoices(*, user, ids) -> list[Invoice]:
    """Those of `ids` the user sees that are issued and still owe something, oldest due first."""
    return list(
        visible_invoices(user)
        .filter(pk__in=list(ids), balance__gt=0)
        .select_related("client")
        .order_by("due_date", "issue_date", "pk")
    )


def open_invoices(*, user, client_id: int) -> QuerySet[Invoice]:
    """A client's issued invoices that still owe something, oldest due first."""
    return (
        visible_invoices(user)
        .filter(client_id=client_id, kind=Kind.INVOICE, balance__gt=0)
        .order_by("due_date", "issue_date", "pk")
    )


def client_owed(*, user, client_id: int) -> dict[str, Decimal]:
    """Currency -> what the client's visible issued invoices still owe (only non-zero)."""
    rows = (
        open_invoices(user=user, client_id=client_id)
        .order_by()
        .values("currency")
        .annotate(total=Sum("balance"))
        .order_by("currency")
    )
    return {row["currency"]: row["total"] for row in rows}


def statement_list(*, user) -> QuerySet[BankStatement]:
    if not may_record(user):
        return BankStatement.objects.none()
    return (
        BankStatement.objects.filter(firm_id=user.firm_id)
        .select_related("imported_by")
        .annotate(
            to_confirm=Count("lines", filter=Q(lines__state=StatementLine.State.PROPOSED)),
            total=Count("lines"),
        )
        .order_by("-imported_at", "-id")
    )


def statement_detail(*, user, pk: int) -> BankStatement | None:
    return statement_list(user=user).filter(pk=pk).first()


def statement_lines(*, statement: BankStatement) -> QuerySet[StatementLine]:
    return statement.lines.select_related("invoice", "payment").order_by("line")


def open_invoice_numbered(*, user, number: str) -> Invoice | None:
    """The issued invoice of the user's firm with this number, if it still owes."""
    return (
        visible_invoices(user)
        .filter(number=number.strip(), kind=Kind.INVOICE, balance__gt=0)
        .first()
    )


def csv_mapping(*, firm_id: int) -> CsvMapping:
    return CsvMapping.objects.filter(firm_id=firm_id).first() or CsvMapping(firm_id=firm_id)
