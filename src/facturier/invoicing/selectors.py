"""The read side: what a user sees in the Invoices tab, filtered and scoped."""

import datetime
import functools
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from facturier.clients.models import Client
from facturier.clients.permissions import in_a_firm
from facturier.core.converters import row_id

from .lifecycle import PaymentState, Status
from .models import EmailDelivery, Invoice, InvoiceEvent, InvoicePdf
from .permissions import sees, visible_invoices

MAX_LISTED_CLIENTS = 500
DEFAULT_STATUSES = frozenset({Status.DRAFT, Status.FINALIZED})

SORTS = {
    "newest": ("-issue_date", "-id"),
    "oldest": ("issue_date", "id"),
    "number": ("number", "id"),
    "-number": ("-number", "-id"),
    "client": ("client__name", "-issue_date", "-id"),
    "total": ("total_gross", "-id"),
    "-total": ("-total_gross", "-id"),
    "due": ("due_date", "-id"),
    "-balance": ("-balance", "-id"),
}
# The payment filters a person asks for: which issued invoices still owe, and how.
PAYMENT_FILTERS = (PaymentState.UNPAID, PaymentState.PARTLY_PAID, PaymentState.OVERDUE)


@dataclass(frozen=True)
class InvoiceFilters:
    """The Invoices tab's filters. No status given: every status but Closed."""

    statuses: frozenset[str] = field(default_factory=frozenset)
    client_id: int | None = None
    issued_after: datetime.date | None = None
    issued_before: datetime.date | None = None
    q: str = ""
    sort: str = "newest"
    # Any of PAYMENT_FILTERS: invoices in one of the chosen payment states.
    payment: frozenset[str] = field(default_factory=frozenset)

    @property
    def effective_statuses(self) -> frozenset[str]:
        return self.statuses or DEFAULT_STATUSES


def invoice_list(*, user, filters: InvoiceFilters = InvoiceFilters()) -> QuerySet[Invoice]:
    invoices = visible_invoices(user).filter(status__in=sorted(filters.effective_statuses))
    if filters.client_id is not None:
        invoices = invoices.filter(client_id=filters.client_id)
    if filters.issued_after is not None:
        invoices = invoices.filter(issue_date__gte=filters.issued_after)
    if filters.issued_before is not None:
        invoices = invoices.filter(issue_date__lte=filters.issued_before)
    if filters.payment:
        invoices = invoices.filter(_payment_q(filters.payment, timezone.localdate()))
    if text := filters.q.strip():
        # Clients are few: find the matching ones first, then look their invoices up by
        # the client index; a short list of ids tells the planner how few there are.
        clients = Client.objects.filter(firm_id=user.firm_id, name__icontains=text)
        client_ids = list(clients.values_list("pk", flat=True)[: MAX_LISTED_CLIENTS + 1])
        if len(client_ids) > MAX_LISTED_CLIENTS:
            matches = Q(client_id__in=clients.values("pk"))
        else:
            matches = Q(client_id__in=client_ids)
        # Numbers hold digits and no spaces; anything else is a client's name.
        if any(char.isdigit() for char in text) and not any(c.isspace() for c in text):
            matches |= Q(number__icontains=text)
        invoices = invoices.filter(matches)
    return invoices.select_related("client").order_by(*SORTS.get(filters.sort, SORTS["newest"]))


# What a row of the Invoices table shows and what its toolbar's reasons read (status,
# kind, ownership, sending, balance, due date). The rest stays in the database: above
# all the frozen snapshot, which a finalized invoice carries whole.
TABLE_FIELDS = (
    "firm_id",
    "kind",
    "client_id",
    "client__name",
    "status",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "total_gross",
    "balance",
    "last_sent_at",
    "sent_count",
)


def invoice_table(*, user, filters: InvoiceFilters = InvoiceFilters()) -> QuerySet[Invoice]:
    """`invoice_list` with the columns of the Invoices table only."""
    return invoice_list(user=user, filters=filters).only(*TABLE_FIELDS)


def _payment_q(states: frozenset[str], today: datetime.date) -> Q:
    owes = Q(balance__gt=0)
    wanted = Q(pk__in=[])
    if PaymentState.UNPAID in states:
        wanted |= Q(balance=F("total_gross"))
    if PaymentState.PARTLY_PAID in states:
        wanted |= Q(balance__lt=F("total_gross"))
    if PaymentState.OVERDUE in states:
        wanted |= Q(due_date__lt=today)
    return owes & wanted


def invoice_detail(*, user, pk: int) -> Invoice | None:
    return (
        visible_invoices(user)
        .select_related("client", "firm", "template", "finalized_by", "closed_by", "corrects")
        .prefetch_related("lines")
        .filter(pk=pk)
        .first()
    )


def pending_invoice_ids(invoices) -> set[int]:
    """Those of `invoices` (objects or ids) with an e-mail under way."""
    ids = [i.pk if isinstance(i, Invoice) else i for i in invoices]
    return set(
        EmailDelivery.objects.filter(
            invoice_id__in=ids, status__in=EmailDelivery.PENDING
        ).values_list("invoice_id", flat=True)
    )


def invoice_events(*, invoice: Invoice) -> QuerySet[InvoiceEvent]:
    return invoice.events.select_related("actor").order_by("at", "id")


def stored_pdf(*, user, pk: int) -> tuple[str, bytes] | None:
    """(number, PDF bytes) of a visible finalized invoice whose PDF is stored.

    One query reads the PDF with the invoice's status and whether the user owns its
    client: an owner's open invoice is answered from it alone; others are decided by
    the processing permission (permissions.sees, can_view's rule). View PDF is the most
    frequent request and this read its largest cost: written in SQL, where the ORM took
    four times the query's own time to build it (a test checks it against
    visible_invoices for every user)."""
    if not in_a_firm(user):
        return None
    pk = row_id(pk)
    if pk is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_stored_pdf_sql(), [user.pk, pk, user.firm_id])
        row = cursor.fetchone()
    if row is None or not sees(user, owner=bool(row[3]), status=row[2]):
        return None
    return row[0], bytes(row[1])


@functools.cache
def _stored_pdf_sql() -> str:
    quote = connection.ops.quote_name
    pdf, invoice = quote(InvoicePdf._meta.db_table), quote(Invoice._meta.db_table)
    owners = quote(Client.owners.through._meta.db_table)
    return (
        f"SELECT i.number, p.pdf, i.status, EXISTS("
        f"SELECT 1 FROM {owners} o WHERE o.client_id = i.client_id AND o.user_id = %s) "
        f"FROM {pdf} p INNER JOIN {invoice} i ON i.id = p.invoice_id "
        f"WHERE p.invoice_id = %s AND i.firm_id = %s"
    )


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows: past that the list says "10,000+" instead of
    counting every invoice of a large firm on each page view."""

    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        # Unordered: which rows are counted up to the cap does not matter, and without
        # the list's order the database counts from the narrowest index it has.
        return self.object_list.order_by()[: self.count_cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.count_cap
