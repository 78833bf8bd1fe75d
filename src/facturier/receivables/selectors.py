"""The read side of receivables: payments, what they paid, what a client has in credit."""

import functools
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from facturier.clients.models import Client
from facturier.clients.permissions import (
    PROCESS_PERMISSION,
    can_process,
    in_a_firm,
    visible_clients,
)
from facturier.clients.selectors import ClientFilters, narrowed
from facturier.core.compiled_sql import (
    CompiledRows,
    Markers,
    StandIn,
    ValueKind,
    compile_query,
)
from facturier.core.identifiers import compact
from facturier.firms.permissions import remember_held
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice
from facturier.invoicing.permissions import visible_invoices, visible_invoices_q

from .direct_debits import Debit, DebitBatch, Mandate, SepaSettings
from .dunning import last_levels, level_due, levels_of, reminder_blocks
from .letters import AccountEntry, StatementOfAccount
from .models import (
    Allocation,
    BankStatement,
    CsvMapping,
    Letter,
    Payment,
    ReminderItem,
    ReminderPause,
    StatementLine,
)
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


def client_credit(*, user, client_id: int) -> dict[str, Decimal]:
    """Currency -> the client's credit the user sees: what its payments have not
    allocated and what its credit notes left (only non-zero)."""
    credit: dict[str, Decimal] = {}
    for currency, total in (
        visible_payments(user)
        .filter(client_id=client_id, unallocated__gt=0)
        .values_list("currency")
        .annotate(total=Sum("unallocated"))
        .order_by()
    ):
        credit[currency] = credit.get(currency, Decimal(0)) + total
    for currency, total in (
        credit_notes_with_credit(client_id=client_id)
        .filter(pk__in=visible_invoices(user).values("pk"))
        .values_list("currency")
        .annotate(total=Sum("credit_left"))
        .order_by()
    ):
        credit[currency] = credit.get(currency, Decimal(0)) + total
    return dict(sorted(credit.items()))


def credit_notes_with_credit(*, client_id: int) -> QuerySet[Invoice]:
    """The client's issued credit notes with credit left to allocate or refund."""
    return Invoice.objects.filter(
        client_id=client_id, kind=DocumentKind.CREDIT_NOTE, credit_left__gt=0
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
        .filter(client_id=client_id, kind=DocumentKind.INVOICE, balance__gt=0)
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
    return statement.lines.select_related("invoice", "payment", "returns__statement").order_by(
        "line"
    )


def open_invoice_numbered(*, user, number: str) -> Invoice | None:
    """The issued invoice of the user's firm with this number, if it still owes."""
    return (
        visible_invoices(user)
        .filter(number=number.strip(), kind=DocumentKind.INVOICE, balance__gt=0)
        .first()
    )


def csv_mapping(*, firm_id: int) -> CsvMapping:
    return CsvMapping.objects.filter(firm_id=firm_id).first() or CsvMapping(firm_id=firm_id)


def account_statement(client, currency: str, start, end, *, user):
    """The client's account in one currency over [start, end], as far as the user sees
    it: what it owed before, then each invoice (debit), credit note and payment (credit)
    and refund (debit) by date."""
    return statement_of(
        client,
        currency,
        start,
        end,
        invoices=visible_invoices(user),
        payments=visible_payments(user),
    )


def statement_of(client, currency: str, start, end, *, invoices, payments):
    """account_statement over the invoices and payments given (a client's own, in the
    portal)."""
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    documents = invoices.filter(client=client, currency=currency).exclude(
        status=InvoiceStatus.DRAFT
    )
    payments = payments.filter(client=client, currency=currency)
    refunds = Allocation.objects.filter(invoice__isnull=True).filter(
        Q(payment__in=payments.values("pk")) | Q(credit_note__in=documents.values("pk"))
    )

    def total(rows, field: str) -> Decimal:
        return rows.aggregate(total=Sum(field))["total"] or Decimal(0)

    before = {"issue_date__lt": start}
    opening = (
        total(documents.filter(kind=DocumentKind.INVOICE, **before), "total_gross")
        - total(documents.filter(kind=DocumentKind.INVOICE, **before), "prepaid")
        - total(documents.filter(kind=DocumentKind.CREDIT_NOTE, **before), "total_gross")
        - total(payments.filter(received_on__lt=start), "amount")
        + total(refunds.filter(on__lt=start), "amount")
    )
    entries = []
    for number, kind, day, amount in documents.filter(
        issue_date__gte=start, issue_date__lte=end
    ).values_list("number", "kind", "issue_date", F("total_gross") - F("prepaid")):
        if kind == DocumentKind.INVOICE:
            entries.append(AccountEntry(day, number, pgettext("document", "Invoice"), debit=amount))
        else:
            entries.append(
                AccountEntry(day, number, pgettext("document", "Credit note"), credit=amount)
            )
    for payment in payments.filter(received_on__gte=start, received_on__lte=end):
        label = _("Payment (%(method)s)") % {"method": payment.get_method_display()}
        entries.append(
            AccountEntry(payment.received_on, payment.reference, label, credit=payment.amount)
        )
    for refund in refunds.filter(on__gte=start, on__lte=end):
        entries.append(AccountEntry(refund.on, "", _("Refund"), debit=refund.amount))
    entries.sort(key=lambda entry: (entry.day, -entry.debit))
    return StatementOfAccount(client, currency, start, end, opening, entries)


def invoice_reminders(*, invoice: Invoice):
    """The reminders an invoice had, with their letter and its e-mail's status."""
    return (
        ReminderItem.objects.filter(invoice=invoice)
        .select_related("letter", "level")
        .order_by("letter__created_at", "pk")
    )


def client_letters(*, client_id: int):
    return Letter.objects.filter(client_id=client_id).defer("pdf").order_by("-created_at", "-pk")


def visible_letter(*, user, pk: int):
    """A letter whose client the user sees, or None."""
    return Letter.objects.filter(pk=pk, client__in=visible_clients(user)).first()


def reminder_pause(*, invoice=None, client_id=None):
    if invoice is not None:
        return ReminderPause.objects.filter(invoice=invoice).first()
    return ReminderPause.objects.filter(client_id=client_id).first()


def reminder_preview(*, user, ids, today):
    """For the dialog: each selected invoice the user sees, the level it would be
    reminded at now (None if none is left), its rank, and why it cannot be reminded
    (a `rules.Reason`, None when it can), oldest due first."""
    invoices = list(
        visible_invoices(user).filter(pk__in=ids).select_related("client").order_by("due_date")
    )
    if not invoices:
        return [], {}
    levels, ranks = levels_of(invoices[0].firm_id)
    last = last_levels(invoice.pk for invoice in invoices)
    blocks = reminder_blocks(invoices, today=today)
    rows = []
    for invoice in invoices:
        level = level_due(levels, 0, last.get(invoice.pk), now_asked=True)
        rank = ranks.get(level.pk) if level else None
        rows.append((invoice, level, rank, blocks.get(invoice.pk)))
    return rows, ranks


def owed_by_clients(*, user, client_ids) -> dict[int, dict[str, Decimal]]:
    """Client id -> currency -> what its visible issued invoices still owe (one query,
    compiled once per number of clients up to a page's: the Clients list asks on each
    view)."""
    ids = list(client_ids)
    if not ids or not in_a_firm(user):
        return {}
    if len(ids) > OWED_COMPILED_UPTO:
        rows = _owed(visible_invoices(user), ids).values_list("client_id", "currency", "total")
    else:
        statement, compiler, converters = _owed_statement(
            connection.vendor, connection.alias, can_process(user), len(ids)
        )
        values = {"firm": user.firm_id, "user": user.pk}
        values.update((f"client{i}", pk) for i, pk in enumerate(ids))
        rows = statement.rows(values)
        if converters:
            rows = compiler.apply_converters(rows, converters)
    owed: dict[int, dict[str, Decimal]] = {}
    for client_id, currency, total in rows:
        owed.setdefault(client_id, {})[currency] = total
    return owed


OWED_COMPILED_UPTO = 100


def _owed(invoices: QuerySet, ids: list) -> QuerySet:
    return (
        invoices.filter(client_id__in=ids, kind=DocumentKind.INVOICE, balance__gt=0)
        .order_by()
        .values("client_id", "currency")
        .annotate(total=Sum("balance"))
    )


@functools.lru_cache(maxsize=256)
def _owed_statement(vendor, alias, processing, count):
    """owed_by_clients' statement for `count` clients, with the converters that read its
    sums as the ORM does (a sum of decimals is not one on SQLite)."""
    markers = Markers()
    firm = markers.value("firm", ValueKind.INTEGER)
    user = StandIn(None if processing else markers.value("user", ValueKind.INTEGER), firm)
    remember_held(user, [PROCESS_PERMISSION] if processing else [])
    ids = [markers.value(f"client{i}", ValueKind.INTEGER) for i in range(count)]
    rows = _owed(Invoice.objects.filter(visible_invoices_q(user)), ids)
    statement = compile_query(rows, markers)
    compiler = rows.query.get_compiler(using=alias)
    compiler.as_sql()
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    return statement, compiler, converters


def client_rows(*, user, filters: ClientFilters, owing: bool = False) -> CompiledRows:
    """What client_list lists (only those with an open balance the user sees, `owing`),
    for a paginator, from statements compiled once per shape of filters and rights
    (core.compiled_sql): the Clients page's own queries."""
    if not in_a_firm(user):
        return CompiledRows(Client, None, None, {})
    values = {"firm": user.firm_id, "user": user.pk}
    text = filters.search.strip()
    if text:
        values["text"] = text
        values["number"] = compact(text)
    if filters.owner_id:
        values["owner"] = filters.owner_id
    if filters.country:
        values["country"] = filters.country.upper()
    page, count = _list_statements(
        connection.vendor,
        can_process(user),
        (bool(text), bool(values.get("number"))),
        bool(filters.owner_id),
        bool(filters.country),
        filters.archived,
        filters.einvoice_address,
        owing,
    )
    return CompiledRows(Client, page, count, values)


@functools.lru_cache(maxsize=512)
def _list_statements(vendor, processing, search, owner, country, archived, einvoice, owing):
    """client_rows' page and count statements for one shape; `search` is (whether a text
    is searched, whether it may be a number)."""
    markers = Markers()
    firm = markers.value("firm", ValueKind.INTEGER)
    user = StandIn(None if processing else markers.value("user", ValueKind.INTEGER), firm)
    remember_held(user, [PROCESS_PERMISSION] if processing else [])
    clients = Client.objects.filter(firm_id=firm)
    if not processing:
        clients = clients.filter(owners=user.pk)
    text, number = search
    filters = ClientFilters(
        owner_id=markers.value("owner", ValueKind.INTEGER) if owner else None,
        archived=archived,
        einvoice_address=einvoice,
    )
    clients = narrowed(
        clients,
        filters,
        text=markers.value("text", ValueKind.PATTERN) if text else "",
        number=markers.value("number", ValueKind.PATTERN) if number else "",
        country=markers.value("country", ValueKind.TEXT) if country else "",
    )
    counted = clients
    if owing:
        owes = Invoice.objects.filter(
            visible_invoices_q(user), kind=DocumentKind.INVOICE, balance__gt=0
        ).order_by()
        # The page asks each client in name order whether it owes, and stops at its
        # last row; the count, which meets them all, reads the owing invoices' clients
        # from the index once instead (a tenth less on 10,000 clients).
        clients = clients.filter(Exists(owes.filter(client_id=OuterRef("pk")).values("pk")))
        counted = counted.filter(pk__in=owes.values("client_id"))
    page = compile_query(clients, markers, wrap="{} LIMIT %s OFFSET %s")
    count = compile_query(
        counted.order_by().values("pk"), markers, wrap="SELECT COUNT(*) FROM ({} LIMIT %s) t"
    )
    return page, count


# --- SEPA direct debit ---------------------------------------------------------------


def client_mandates(*, client_id: int):
    return Mandate.objects.filter(client_id=client_id).order_by("-id")


def invoice_debits(*, invoice_id: int):
    return Debit.objects.filter(invoice_id=invoice_id).select_related("mandate", "batch")


def firm_debits(*, user, status: str):
    """The firm's debits in `status`, for the Direct debits tab (processing only)."""
    if not can_process(user):
        return Debit.objects.none()
    return (
        Debit.objects.filter(firm_id=user.firm_id, status=status)
        .select_related("invoice__client", "mandate", "batch")
        .order_by("due_date", "id")
    )


def debit_batches(*, user):
    if not can_process(user):
        return DebitBatch.objects.none()
    return DebitBatch.objects.filter(firm_id=user.firm_id).defer("xml")


def sepa_settings(*, firm_id: int):
    return SepaSettings.objects.filter(firm_id=firm_id).first() or SepaSettings(firm_id=firm_id)
