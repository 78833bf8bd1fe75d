"""Receivables aging as of any date, past ones included.

What an invoice owed on a day is computed from dated facts, not from today's
balance: its total, less the allocations dated on or before that day (payments, and
credit spent on it) and the credit notes issued on or before it (the part each one
applied to it). Each amount owed falls in a bucket by how late it was that day.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from facturier.core import spreadsheet
from facturier.core.reading import sort_key
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice
from facturier.invoicing.permissions import visible_invoices

from .models import Allocation

# (label, first day late, last day late); None: open-ended.
BUCKETS = [
    (_("Not yet due"), None, 0),
    (_("1–30 days"), 1, 30),
    (_("31–60 days"), 31, 60),
    (_("61–90 days"), 61, 90),
    (_("Over 90 days"), 91, None),
]
MONEY = DecimalField(max_digits=16, decimal_places=2)


def _sum_before(queryset, amount: str, day_field: str, day: datetime.date, ref: str):
    return Coalesce(
        Subquery(
            queryset.filter(**{ref: OuterRef("pk"), f"{day_field}__lte": day})
            .order_by()
            .values(ref)
            .annotate(total=Sum(amount))
            .values("total")[:1],
            output_field=MONEY,
        ),
        Value(Decimal(0)),
        output_field=MONEY,
    )


def owed_on(
    *, user, day: datetime.date, client_id: int | None = None, owing_only: bool = True
) -> QuerySet[Invoice]:
    """The visible issued invoices that owed something at the end of `day` (or all those
    issued by then, `owing_only=False`), each with `owed` and `bucket` (an index into
    BUCKETS)."""
    invoices = (
        visible_invoices(user)
        .filter(kind=DocumentKind.INVOICE, issue_date__lte=day)
        .exclude(status=InvoiceStatus.DRAFT)
    )
    if client_id is not None:
        invoices = invoices.filter(client_id=client_id)
    credit_notes = Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).exclude(
        status=InvoiceStatus.DRAFT
    )
    invoices = invoices.annotate(
        paid=_sum_before(Allocation.objects.all(), "amount", "on", day, "invoice"),
        credited=_sum_before(credit_notes, "credit_applied", "issue_date", day, "corrects"),
    ).annotate(owed=F("total_gross") - F("prepaid") - F("paid") - F("credited"))
    # Not due yet, then late by at most 30, 60, 90 days; the rest is the last bucket.
    whens = [When(Q(due_date__isnull=True) | Q(due_date__gte=day), then=Value(0))]
    for index, (_label, _first, last) in enumerate(BUCKETS[1:-1], start=1):
        whens.append(When(due_date__gte=day - datetime.timedelta(days=last), then=Value(index)))
    if owing_only:
        invoices = invoices.filter(owed__gt=0)
    return invoices.annotate(
        bucket=Case(*whens, default=Value(len(BUCKETS) - 1), output_field=IntegerField())
    )


def owed_by_client(*, user, day: datetime.date) -> QuerySet:
    """What `aging` reads: per client, currency and bucket, the sum of what was owed.

    Each invoice's sums are computed once: nothing owed counts as zero in the sum
    (GREATEST), where filtering on it first would compute them twice.
    """
    return (
        owed_on(user=user, day=day, owing_only=False)
        .order_by()
        .values("client_id", "client__name", "currency", "bucket")
        .annotate(amount=Sum(Greatest(F("owed"), Value(Decimal(0)), output_field=MONEY)))
    )


@dataclass
class AgingRow:
    client_id: int
    client: str
    currency: str
    buckets: list[Decimal] = field(default_factory=lambda: [Decimal(0)] * len(BUCKETS))

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, Decimal(0))


@dataclass
class Aging:
    day: datetime.date
    rows: list[AgingRow]
    totals: dict[str, AgingRow]  # per currency


def aging(*, user, day: datetime.date) -> Aging:
    """Per client and currency, what was owed on `day` in each bucket; totals per currency."""
    rows: dict[tuple[int, str], AgingRow] = {}
    totals: dict[str, AgingRow] = {}
    for item in owed_by_client(user=user, day=day):
        if not item["amount"]:
            continue  # paid up in that bucket
        key = (item["client_id"], item["currency"])
        row = rows.get(key)
        if row is None:
            row = rows[key] = AgingRow(item["client_id"], item["client__name"], item["currency"])
        total = totals.setdefault(item["currency"], AgingRow(0, "", item["currency"]))
        amount = Decimal(item["amount"]).quantize(Decimal("0.01"))
        row.buckets[item["bucket"]] += amount
        total.buckets[item["bucket"]] += amount
    ordered = sorted(
        rows.values(), key=lambda r: (r.currency, -r.total, sort_key(r.client), r.client)
    )
    return Aging(day=day, rows=ordered, totals=dict(sorted(totals.items())))


def aging_table(result: Aging) -> list[list]:
    """The aging as rows for a file: a header, one row per client and currency, then
    the totals per currency. Amounts stay numbers; words in the request's language."""
    labels = [label for label, _first, _last in BUCKETS]
    return [
        [str(word) for word in (_("Client"), _("Currency"), *labels, _("Total"))],
        *([row.client, row.currency, *row.buckets, row.total] for row in result.rows),
        *(
            [str(_("Total")), currency, *total.buckets, total.total]
            for currency, total in result.totals.items()
        ),
    ]


def aging_csv(result: Aging, *, language: str | None = None) -> bytes:
    """The aging as CSV (UTF-8 with a BOM, so spreadsheets read the accents), split as
    the reader's spreadsheet splits it when `language` is given."""
    dialect = spreadsheet.csv_dialect(language)
    return "".join(["\ufeff", *spreadsheet.csv_lines(aging_table(result), **dialect)]).encode()


def aging_workbook(result: Aging) -> bytes:
    """The aging as an XLSX workbook: numbers as numbers, text never a formula."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Aging")))
    for row in [[str(_("As of")), result.day], *aging_table(result)]:
        sheet.append(spreadsheet.xlsx_row(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
