"""The Billing overview's figures: what is owed and late, what came in this month, days
sales outstanding and collections over the last twelve months, the aging today.

Per currency where amounts are summed; the month series are in the firm's default
currency (a person compares months in one unit). Scoped like the rest: what the
user may see.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Sum

from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind
from facturier.invoicing.permissions import visible_invoices
from facturier.work.selectors import wip_entries

from .aging import Aging, aging
from .models import Allocation
from .permissions import visible_payments

DSO_DAYS = 365


@dataclass
class Month:
    end: datetime.date
    collected: Decimal
    dso: int | None  # whole days; None: nothing invoiced in the twelve months before


@dataclass
class Overview:
    day: datetime.date
    currency: str
    outstanding: dict[str, Decimal]
    overdue: dict[str, Decimal]
    collected: dict[str, Decimal]
    aging: Aging
    months: list[Month] = field(default_factory=list)
    wip: Decimal = Decimal(0)  # unbilled time and expenses at standard rates

    @property
    def dso(self) -> int | None:
        return self.months[-1].dso if self.months else None


def month_ends(day: datetime.date, count: int = 12) -> list[datetime.date]:
    """The last `count` month ends up to `day` (the current month ends today)."""
    ends = [day]
    first = day.replace(day=1)
    for _ in range(count - 1):
        end = first - datetime.timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return list(reversed(ends))


def _per_currency(rows) -> dict[str, Decimal]:
    return {currency: total for currency, total in rows if total}


def overview(*, user, day: datetime.date, currency: str) -> Overview:
    issued = visible_invoices(user).exclude(status=InvoiceStatus.DRAFT)
    owing = issued.filter(kind=DocumentKind.INVOICE, balance__gt=0)
    outstanding = owing.values_list("currency").annotate(total=Sum("balance")).order_by("currency")
    overdue = (
        owing.filter(due_date__lt=day)
        .values_list("currency")
        .annotate(total=Sum("balance"))
        .order_by("currency")
    )
    payments = visible_payments(user)
    collected = (
        payments.filter(received_on__gte=day.replace(day=1), received_on__lte=day)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return Overview(
        day=day,
        currency=currency,
        outstanding=_per_currency(outstanding),
        overdue=_per_currency(overdue),
        collected=_per_currency(collected),
        aging=aging(user=user, day=day),
        months=_months(user, issued, payments, day, currency),
        wip=wip_entries(user=user).aggregate(total=Sum("amount"))["total"] or Decimal(0),
    )


def _months(user, issued, payments, day, currency) -> list[Month]:
    """Per month end: the money collected in the month, and the DSO that day (what the
    clients' accounts owed ÷ what was invoiced in the twelve months before × 365)."""
    ends = month_ends(day)
    documents = issued.filter(currency=currency)
    refunds = Allocation.objects.filter(invoice__isnull=True).filter(
        Q(payment__in=payments.filter(currency=currency))
        | Q(credit_note__in=documents.filter(kind=DocumentKind.CREDIT_NOTE))
    )
    sums = {}
    for index, end in enumerate(ends):
        start = end - datetime.timedelta(days=DSO_DAYS - 1)
        # An invoice is owed less the deposits it deducts (invoiced and owed on their own).
        sums[f"inv_{index}"] = Sum(
            F("total_gross") - F("prepaid"),
            filter=Q(kind=DocumentKind.INVOICE, issue_date__lte=end),
        )
        sums[f"cn_{index}"] = Sum(
            "total_gross", filter=Q(kind=DocumentKind.CREDIT_NOTE, issue_date__lte=end)
        )
        sums[f"sales_{index}"] = Sum(
            F("total_gross") - F("prepaid"),
            filter=Q(kind=DocumentKind.INVOICE, issue_date__range=(start, end)),
        )
    document_sums = documents.aggregate(**sums)
    payment_sums = payments.filter(currency=currency).aggregate(
        **{
            f"paid_{index}": Sum("amount", filter=Q(received_on__lte=end))
            for index, end in enumerate(ends)
        },
        **{
            f"month_{index}": Sum("amount", filter=Q(received_on__range=(end.replace(day=1), end)))
            for index, end in enumerate(ends)
        },
    )
    refund_sums = refunds.aggregate(
        **{f"r_{index}": Sum("amount", filter=Q(on__lte=end)) for index, end in enumerate(ends)}
    )
    months = []
    zero = Decimal(0)
    for index, end in enumerate(ends):
        owed = (
            (document_sums[f"inv_{index}"] or zero)
            - (document_sums[f"cn_{index}"] or zero)
            - (payment_sums[f"paid_{index}"] or zero)
            + (refund_sums[f"r_{index}"] or zero)
        )
        sales = document_sums[f"sales_{index}"] or zero
        dso = None
        if sales > 0:
            # A whole number: it reads "N days", and gettext picks a plural by an integer.
            dso = int((max(owed, zero) / sales * DSO_DAYS).quantize(Decimal("1")))
        months.append(Month(end, payment_sums[f"month_{index}"] or zero, dso))
    return months
