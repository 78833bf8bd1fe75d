"""The read side: what a user sees in the Invoices tab, filtered and scoped."""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from facturier.clients.models import Client
from facturier.clients.permissions import PROCESS_PERMISSION, can_process, in_a_firm
from facturier.core.compiled_sql import (
    CompiledQuery,
    CompiledRows,
    Markers,
    StandIn,
    ValueKind,
    compile_query,
    instances,
)
from facturier.core.converters import row_id
from facturier.firms import audit
from facturier.firms.models import AuditEvent
from facturier.firms.permissions import remember_held

from .lifecycle import InvoiceStatus, PaymentState
from .models import (
    EmailDelivery,
    Invoice,
    InvoiceEntry,
    InvoiceLine,
    InvoicePdf,
    InvoiceTemplate,
)
from .permissions import sees, visible_invoices

MAX_LISTED_CLIENTS = 500
DEFAULT_STATUSES = frozenset({InvoiceStatus.DRAFT, InvoiceStatus.FINALIZED})

SORTS = {
    "newest": ("-issue_date", "-id"),
    "oldest": ("issue_date", "id"),
    "number": ("number", "id"),
    "-number": ("-number", "-id"),
    "client": ("client__sort_name", "-issue_date", "-id"),
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
    search = None
    if text := filters.q.strip():
        search = _Search(text, _matching_clients(user.firm_id, text), _may_be_a_number(text))
    return _listed(
        visible_invoices(user),
        filters,
        today=timezone.localdate(),
        firm_id=user.firm_id,
        search=search,
    )


@dataclass(frozen=True)
class _Search:
    text: str
    # The matching clients' ids; None when more than MAX_LISTED_CLIENTS match (the
    # invoices are then matched by a subquery).
    clients: list | None
    # Numbers hold digits and no spaces; anything else is a client's name.
    number: bool


def _matching_clients(firm_id, text: str) -> list[int] | None:
    ids = _client_ids_named(firm_id, text)
    return None if len(ids) > MAX_LISTED_CLIENTS else ids


def _client_ids_named(firm_id, text: str) -> list[int]:
    """The firm's clients whose name holds `text`: MAX_LISTED_CLIENTS + 1 at most (more
    than MAX_LISTED_CLIENTS means "too many to list")."""
    found = _clients_statement(connection.vendor).rows(
        {"firm": firm_id, "text": text}, MAX_LISTED_CLIENTS + 1
    )
    return [pk for (pk,) in found]


def _may_be_a_number(text: str) -> bool:
    return any(char.isdigit() for char in text) and not any(c.isspace() for c in text)


def _listed(
    invoices: QuerySet[Invoice], filters: InvoiceFilters, *, today, firm_id, search
) -> QuerySet[Invoice]:
    """`invoices` narrowed by the filters. Every value comes from the caller (today, the
    firm, the search's matches): invoice_rows compiles it with stand-ins."""
    invoices = invoices.filter(status__in=sorted(filters.effective_statuses))
    if filters.client_id is not None:
        invoices = invoices.filter(client_id=filters.client_id)
    if filters.issued_after is not None:
        invoices = invoices.filter(issue_date__gte=filters.issued_after)
    if filters.issued_before is not None:
        invoices = invoices.filter(issue_date__lte=filters.issued_before)
    if filters.payment:
        invoices = invoices.filter(_payment_q(filters.payment, today))
    if search is not None:
        # Clients are few: find the matching ones first, then look their invoices up by
        # the client index; a short list of ids tells the planner how few there are.
        if search.clients is None:
            named = Client.objects.filter(firm_id=firm_id, name__icontains=search.text)
            matches = Q(client_id__in=named.values("pk"))
        else:
            matches = Q(client_id__in=search.clients)
        if search.number:
            matches |= Q(number__icontains=search.text)
        invoices = invoices.filter(matches)
    return invoices.select_related("client").order_by(*SORTS.get(filters.sort, SORTS["newest"]))


# What a row of the Invoices table shows and what its toolbar's reasons read (status,
# kind, ownership, sending, balance, due date), and its client's name as `client_name`.
# The rest stays in the database: above all the frozen snapshot, which a finalized
# invoice carries whole.
TABLE_FIELDS = (
    "id",
    "firm_id",
    "kind",
    "deposit",
    "client_id",
    "status",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "total_gross",
    "prepaid",
    "balance",
    "last_sent_at",
    "sent_count",
)


def invoice_table(*, user, filters: InvoiceFilters = InvoiceFilters()) -> QuerySet[Invoice]:
    """`invoice_list` with the columns of the Invoices table only (see TABLE_FIELDS)."""
    return _table(invoice_list(user=user, filters=filters))


def _table(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return invoices.select_related(None).only(*TABLE_FIELDS).annotate(client_name=F("client__name"))


def invoice_rows(*, user, filters: InvoiceFilters = InvoiceFilters()) -> CompiledRows:
    """What invoice_table lists, for a paginator, run from statements compiled once per
    shape of filters and rights (core.compiled_sql): the Invoices page's own query."""
    if not in_a_firm(user):
        return CompiledRows(Invoice, None, None, {})
    values = {"firm": user.firm_id, "user": user.pk}
    if PaymentState.OVERDUE in filters.payment:
        values["today"] = timezone.localdate()
    values.update(
        (name, getattr(filters, name))
        for name in ("client_id", "issued_after", "issued_before")
        if getattr(filters, name) is not None
    )
    search = None
    if text := filters.q.strip():
        values["text"] = text
        clients = _client_ids_named(user.firm_id, text)
        values.update((f"client{i}", pk) for i, pk in enumerate(clients))
        search = (
            len(clients) if len(clients) <= MAX_LISTED_CLIENTS else None,
            _may_be_a_number(text),
        )
    page, count = _table_statements(
        connection.vendor,
        can_process(user),
        filters.effective_statuses,
        filters.client_id is not None,
        filters.issued_after is not None,
        filters.issued_before is not None,
        filters.payment,
        search,
        filters.sort if filters.sort in SORTS else "newest",
    )
    return CompiledRows(Invoice, page, count, values)


@functools.cache
def _clients_statement(vendor: str) -> CompiledQuery:
    """_client_ids_named's query: unordered, as only how many match and which counts."""
    markers = Markers()
    clients = Client.objects.filter(
        firm_id=markers.value("firm", ValueKind.INTEGER),
        name__icontains=markers.value("text", ValueKind.PATTERN),
    ).values_list("pk", flat=True)
    return compile_query(clients.order_by(), markers, wrap="{} LIMIT %s")


@functools.lru_cache(maxsize=1024)
def _table_statements(vendor, processing, statuses, client, after, before, payment, search, sort):
    """The page's and the count's statements for one shape (see invoice_rows); `search`
    is (how many clients match, None for too many; whether the text may be a number)."""
    markers = Markers()
    # (The processing permission sees the whole firm: no owner to ask about.)
    user_id = None if processing else markers.value("user", ValueKind.INTEGER)
    user = StandIn(user_id, markers.value("firm", ValueKind.INTEGER))
    remember_held(user, [PROCESS_PERMISSION] if processing else [])
    filters = InvoiceFilters(
        statuses=statuses,
        client_id=markers.value("client_id", ValueKind.INTEGER) if client else None,
        issued_after=markers.value("issued_after", ValueKind.DATE) if after else None,
        issued_before=markers.value("issued_before", ValueKind.DATE) if before else None,
        sort=sort,
        payment=payment,
    )
    stand_in_search = None
    if search is not None:
        matching, number = search
        stand_in_search = _Search(
            markers.value("text", ValueKind.PATTERN) if matching is None or number else "",
            None
            if matching is None
            else [markers.value(f"client{i}", ValueKind.INTEGER) for i in range(matching)],
            number,
        )
    invoices = _listed(
        visible_invoices(user),
        filters,
        today=markers.value("today", ValueKind.DATE) if PaymentState.OVERDUE in payment else None,
        firm_id=user.firm_id,
        search=stand_in_search,
    )
    page = compile_query(_table(invoices), markers, wrap="{} LIMIT %s OFFSET %s")
    count = compile_query(
        invoices.order_by().values("pk"), markers, wrap="SELECT COUNT(*) FROM ({} LIMIT %s) t"
    )
    return page, count


def _payment_q(states: frozenset[str], today: datetime.date) -> Q:
    owes = Q(balance__gt=0)
    wanted = Q(pk__in=[])
    if PaymentState.UNPAID in states:
        wanted |= Q(balance=F("total_gross") - F("prepaid"))
    if PaymentState.PARTLY_PAID in states:
        wanted |= Q(balance__lt=F("total_gross") - F("prepaid"))
    if PaymentState.OVERDUE in states:
        wanted |= Q(due_date__lt=today)
    return owes & wanted


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines in order, each knowing its invoice, as invoice.lines.all()
    gives them (a statement compiled once: each finalization reads them)."""
    statement = _lines_statement(connection.vendor)
    lines = instances(InvoiceLine, statement, {"invoice": invoice.pk})
    for line in lines:
        InvoiceLine.invoice.field.set_cached_value(line, invoice)
    return lines


@functools.cache
def _lines_statement(vendor: str) -> CompiledQuery:
    markers = Markers()
    lines = InvoiceLine.objects.filter(invoice_id=markers.value("invoice", ValueKind.INTEGER))
    return compile_query(lines, markers)


def billed_amounts(invoice_id: int) -> dict[int, Decimal]:
    """What the invoice charges for each entry it bills (entry id: amount), its live
    links only (a statement compiled once: each finalization reads them)."""
    statement = _billed_statement(connection.vendor)
    links = instances(InvoiceEntry, statement, {"invoice": invoice_id})
    return {link.entry_id: link.amount for link in links}


@functools.cache
def _billed_statement(vendor: str) -> CompiledQuery:
    markers = Markers()
    links = InvoiceEntry.objects.filter(
        invoice_id=markers.value("invoice", ValueKind.INTEGER), released=False
    ).only("pk", "entry_id", "amount")
    return compile_query(links.order_by("pk"), markers)


def default_template(firm_id: int) -> InvoiceTemplate | None:
    """The firm's default template, unless archived: what a document without a chosen
    template is made with (each finalization asks: a statement compiled once)."""
    statement = _default_template(connection.vendor)
    found = instances(InvoiceTemplate, statement, {"firm": firm_id})
    return found[0] if found else None


@functools.cache
def _default_template(vendor: str) -> CompiledQuery:
    markers = Markers()
    default = InvoiceTemplate.objects.filter(
        firm_id=markers.value("firm", ValueKind.INTEGER), is_default=True, archived_at__isnull=True
    )
    return compile_query(default.order_by("pk")[:1], markers)


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
    if not ids:
        return set()
    values = {f"invoice{i}": pk for i, pk in enumerate(ids)}
    return {pk for (pk,) in _pending_statement(connection.vendor, len(ids)).rows(values)}


@functools.lru_cache(maxsize=256)
def _pending_statement(vendor: str, count: int) -> CompiledQuery:
    """pending_invoice_ids' query for `count` invoices (a page's rows, a selection)."""
    markers = Markers()
    ids = [markers.value(f"invoice{i}", ValueKind.INTEGER) for i in range(count)]
    pending = EmailDelivery.objects.filter(invoice_id__in=ids, status__in=EmailDelivery.PENDING)
    return compile_query(pending.values_list("invoice_id"), markers)


def invoice_events(*, invoice: Invoice | int) -> QuerySet[AuditEvent]:
    """The invoice's history: the audit trail's rows about it, oldest first."""
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    return audit.about(Invoice._meta.label_lower, pk).select_related("actor")


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
        if hasattr(self.object_list, "count_upto"):  # compiled_sql.CompiledRows
            return self.object_list.count_upto(self.count_cap + 1)
        return self.object_list.order_by()[: self.count_cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.count_cap
