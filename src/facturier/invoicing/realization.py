"""Realization: what invoices charged for time and expenses ÷ what that work was worth
at standard rates, per invoice, per client and per staff member, over a period."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum

from facturier.core.reading import sort_key

from .lifecycle import InvoiceStatus
from .models import InvoiceEntry
from .permissions import visible_invoices


@dataclass
class Realization:
    key: object
    label: str
    value: Decimal
    billed: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Billed ÷ standard value, as a percentage (None when the work was worth 0)."""
        if not self.value:
            return None
        return (self.billed / self.value * 100).quantize(Decimal("0.1"))


def realization(*, user, start: datetime.date, end: datetime.date) -> dict[str, list[Realization]]:
    links = InvoiceEntry.objects.filter(
        released=False,
        invoice__in=visible_invoices(user)
        .exclude(status=InvoiceStatus.DRAFT)
        .filter(issue_date__gte=start, issue_date__lte=end),
    )

    def grouped(key: str, label: str) -> list[Realization]:
        rows = (
            links.order_by().values(key, label).annotate(value=Sum("value"), billed=Sum("amount"))
        )
        found = [
            Realization(row[key], str(row[label] or ""), row["value"], row["billed"])
            for row in rows
        ]
        # As a person files them: "Électricité Martin" among the E's, not after "Zola".
        return sorted(found, key=lambda row: (sort_key(row.label), row.label))

    by_staff = [
        Realization(row["staff"], row["name"] or "", row["value"], row["billed"])
        for row in links.order_by()
        .annotate(staff=F("entry__staff_id"), name=F("entry__staff__username"))
        .values("staff", "name")
        .annotate(value=Sum("value"), billed=Sum("amount"))
        .order_by("name")
    ]
    return {
        "invoices": grouped("invoice_id", "invoice__number"),
        "clients": grouped("invoice__client_id", "invoice__client__name"),
        "staff": by_staff,
    }
