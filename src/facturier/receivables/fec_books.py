"""What the FEC works out before it writes a line: the euro rate of every document and
payment of the fiscal year, and the lettering of the clients' account.

Euros: a document in another currency is booked at the exchange rate stated on it when
it was finalized (a credit note without one, at its invoice's); a payment at the rate of
the first invoice it was allocated to, else at the rate of the client's latest document
in its currency (else the firm's), so that money and the invoices it settles meet at one
rate. What the rounding or two invoices' rates leave on the client's account once it is
settled is an exchange difference, booked in the entry that settles it.

Lettering: the client-account lines of invoices, credit notes, payments and refunds that
allocations join (and a credit note applied to its invoice) share a letter once they
balance within the year; the lettering date is the date of the last of them. A group
that reaches outside the year, or that does not balance yet, keeps no letter. Letters
run per client account (AA, AB, ...), in the order its groups were settled.

Worked out one client at a time, and kept as one small integer per line (arrays indexed
by row id), so that the year of a firm with 100,000 invoices fits in a few MiB.
"""

import bisect
import datetime
import decimal
import functools
import heapq
import json
import string
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.db import connection
from django.db.models import BigIntegerField, F, Max, Min, Q, QuerySet
from django.db.models.functions import Cast, Coalesce, Round

from facturier.core import money
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice

from .models import Allocation, Payment

EUR = "EUR"
ONE = Decimal(1)
CHUNK = 2000

Key = tuple[str, int]  # ("d", document) | ("p", payment) | ("r", refund: an allocation)


def in_euros(amount: Decimal, rate: Decimal) -> Decimal:
    return amount if rate is ONE else money.quantize(amount * rate, EUR)


def cents(field: str):
    """An amount read as whole cents: lettering adds them up exactly, and reading an
    integer costs nothing to convert."""
    return Cast(Round(F(field) * 100), BigIntegerField())


def from_cents(value: int) -> Decimal:
    """Whole cents (see `cents`) as the amount: Decimal("120.00") from 12000."""
    return Decimal(value).scaleb(-2)


def moment_of(value: datetime.datetime) -> datetime.datetime:
    """A date and time column: SQLite's driver gives it naive, in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


@functools.cache
def decimal_of(places: int, digits: int):
    """A decimal column (`places` after the point, `digits` in all) as the ORM reads it:
    SQLite gives a float, rounded to its 15 significant digits."""
    from_float = decimal.Context(prec=15).create_decimal_from_float
    step, context = Decimal(1).scaleb(-places), decimal.Context(prec=digits)

    def convert(value) -> Decimal:
        if isinstance(value, Decimal):
            return value
        return from_float(value).quantize(step, context=context)

    return convert


def json_of(value):
    """A JSON value read by a key: SQLite gives its text, PostgreSQL the value."""
    return json.loads(value) if value.__class__ is str else value


def read(queryset: QuerySet, converters: dict[int, object]) -> Iterator[tuple]:
    """The rows of a values_list() queryset, `converters` (column -> function) applied to
    their columns. A year of the FEC reads a million rows: on SQLite the statement runs
    bare, the few columns that need it converted here (the ORM's generic conversion of
    every column of every row costs more than the database's answer); elsewhere the
    ORM's chunked iterator (a server-side cursor, flat memory), whose values the
    functions leave as they are. Amounts are read as cents (see `cents`), so that both
    give exact integers."""
    if connection.vendor != "sqlite":
        rows: Iterable = queryset.iterator(chunk_size=CHUNK)
        yield from _converted(rows, converters)
        return
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK):
            yield from _converted(chunk, converters)


def _converted(rows: Iterable, converters: dict[int, object]) -> Iterator[tuple]:
    if not converters:
        yield from rows
        return
    columns = list(converters.items())
    for row in rows:
        row = list(row)
        for index, convert in columns:
            value = row[index]
            if value is not None:
                row[index] = convert(value)
        yield tuple(row)


def euro_cents(amount_cents: int, currency: str, rate: Decimal) -> int:
    if currency == EUR:
        return amount_cents
    return int(in_euros(Decimal(amount_cents) / 100, rate) * 100)


def document_rate(currency: str, own: Decimal | None, corrected: Decimal | None):
    """The rate a document is booked at (None: it states none)."""
    if currency == EUR:
        return ONE
    return own or corrected


@dataclass
class Skipped:
    """What the FEC cannot book: documents and payments in another currency than the euro
    that no exchange rate states."""

    documents: int = 0
    payments: int = 0


@dataclass(slots=True)
class Node:
    """One client-account line: signed (+ debits the client), in cents of its currency and
    of euros."""

    amount: int
    euros: int
    currency: str
    day: datetime.date


class Slots:
    """One integer per row of a table, by row id (0: none), for the ids of one year."""

    def __init__(self, ids: dict):
        self.low = ids["low"] or 0
        self.values = array("i", bytes(4 * ((ids["high"] or -1) - self.low + 1)))

    def get(self, pk: int) -> int:
        index = pk - self.low
        return self.values[index] if 0 <= index < len(self.values) else 0

    def set(self, pk: int, value: int) -> None:
        self.values[pk - self.low] = value


ONE_INVOICE_WHOLLY, ONE_INVOICE, SEVERAL_INVOICES = 1, 2, 3


@dataclass
class Books:
    slots: dict[str, Slots]
    # A payment -> what it paid by the year's end: ONE_INVOICE_WHOLLY (all of it on one
    # invoice), ONE_INVOICE (part of it), SEVERAL_INVOICES, or 0 (none).
    paid: Slots
    # A payment -> the invoice its first allocation (by the year's end) went to (0: none).
    first_invoice: Slots
    # Only what is not in euros: its rate (None: no rate states it, left out).
    foreign: dict[Key, Decimal | None] = field(default_factory=dict)
    # A lettered group: its letter's rank in its client's account, its date (ordinal).
    group_code: array = field(default_factory=lambda: array("i"))
    group_day: array = field(default_factory=lambda: array("i"))
    # The settling entry -> euros still on the client's account once settled (+: owed).
    differences: dict[Key, Decimal] = field(default_factory=dict)
    skipped: Skipped = field(default_factory=Skipped)

    def rate(self, key: Key, currency: str) -> Decimal | None:
        return ONE if currency == EUR else self.foreign.get(key)

    def letter(self, key: Key) -> tuple[str, datetime.date] | None:
        group = self.slots[key[0]].get(key[1])
        if not group:
            return None
        return code_name(self.group_code[group - 1]), _day(self.group_day[group - 1])


@functools.lru_cache(maxsize=1024)
def _day(ordinal: int) -> datetime.date:
    return datetime.date.fromordinal(ordinal)


@functools.lru_cache(maxsize=4096)
def code_name(rank: int) -> str:
    """AA, AB, ... ZZ, AAA, ...: the `rank`-th lettering code (from 0)."""
    size = 2
    while rank >= 26**size:
        rank -= 26**size
        size += 1
    letters = []
    for _position in range(size):
        rank, digit = divmod(rank, 26)
        letters.append(string.ascii_uppercase[digit])
    return "".join(reversed(letters))


class Rates:
    """The euro rate of a payment: its first invoice's, else the nearest document's."""

    def __init__(self, firm_id: int, end: datetime.date):
        self.by_client: dict[tuple, list] = defaultdict(list)
        self.by_firm: dict[str, list] = defaultdict(list)
        documents = (
            Invoice.objects.filter(
                firm_id=firm_id, issue_date__lte=end, exchange_rate__isnull=False
            )
            .exclude(status=InvoiceStatus.DRAFT)
            .exclude(currency=EUR)
            .order_by("issue_date", "pk")
            .values_list("client_id", "currency", "issue_date", "exchange_rate")
        )
        for client_id, currency, day, rate in documents.iterator(chunk_size=CHUNK):
            self.by_client[client_id, currency].append((day, rate))
            self.by_firm[currency].append((day, rate))
        self.first: dict[int, Decimal] = {}
        allocations = (
            Allocation.objects.filter(
                firm_id=firm_id,
                payment__isnull=False,
                payment__received_on__lte=end,
                invoice__exchange_rate__isnull=False,
            )
            .exclude(payment__currency=EUR)
            .order_by("-pk")
            .values_list("payment_id", "invoice__exchange_rate")
        )
        for payment_id, rate in allocations.iterator(chunk_size=CHUNK):
            self.first[payment_id] = rate  # read newest first: the first one stays

    def payment(self, pk: int, client_id: int, currency: str, day: datetime.date):
        if currency == EUR:
            return ONE
        if pk in self.first:
            return self.first[pk]
        return _nearest(self.by_client.get((client_id, currency)), day) or _nearest(
            self.by_firm.get(currency), day
        )


def _nearest(dated: list | None, day: datetime.date) -> Decimal | None:
    """The rate of the latest document on or before `day`, else of the first after it."""
    if not dated:
        return None
    index = bisect.bisect_right(dated, day, key=itemgetter(0))
    return dated[index - 1][1] if index else dated[0][1]


def skipped(firm_id: int, start: datetime.date, end: datetime.date) -> Skipped:
    """What `books` would leave out, counted without booking the year."""
    documents = (
        Invoice.objects.filter(firm_id=firm_id, issue_date__gte=start, issue_date__lte=end)
        .exclude(status=InvoiceStatus.DRAFT)
        .exclude(currency=EUR)
        .filter(exchange_rate__isnull=True)
        .filter(Q(corrects__isnull=True) | Q(corrects__exchange_rate__isnull=True))
    )
    rates, payments = Rates(firm_id, end), 0
    foreign = (
        Payment.objects.filter(firm_id=firm_id, received_on__gte=start, received_on__lte=end)
        .exclude(currency=EUR)
        .values_list("pk", "client_id", "currency", "received_on")
    )
    for pk, client_id, currency, day in foreign.iterator(chunk_size=CHUNK):
        payments += rates.payment(pk, client_id, currency, day) is None
    refunded = (
        refund_rows(firm_id, start, end)
        .filter(payment__isnull=False)
        .exclude(payment__currency=EUR)
        .values_list(
            "payment_id", "payment__client_id", "payment__currency", "payment__received_on"
        )
    )
    for pk, client_id, currency, day in refunded.iterator(chunk_size=CHUNK):
        payments += rates.payment(pk, client_id, currency, day) is None
    notes = (
        refund_rows(firm_id, start, end)
        .filter(credit_note__isnull=False)
        .exclude(credit_note__currency=EUR)
        .filter(credit_note__exchange_rate__isnull=True)
        .filter(credit_note__corrects__exchange_rate__isnull=True)
    )
    return Skipped(documents=documents.count(), payments=payments + notes.count())


def documents_in(firm_id: int, start, end):
    return Invoice.objects.filter(
        firm_id=firm_id, issue_date__gte=start, issue_date__lte=end
    ).exclude(status=InvoiceStatus.DRAFT)


def payments_in(firm_id: int, start, end):
    return Payment.objects.filter(firm_id=firm_id, received_on__gte=start, received_on__lte=end)


def refund_rows(firm_id: int, start, end):
    """Money given back in the period: a payment's unallocated part or a credit note's."""
    return Allocation.objects.filter(
        firm_id=firm_id, invoice__isnull=True, on__gte=start, on__lte=end
    )


def _ids(rows) -> dict:
    return rows.aggregate(low=Min("pk"), high=Max("pk"))


def books(firm_id: int, start: datetime.date, end: datetime.date) -> Books:
    rates, payment_ids = Rates(firm_id, end), _ids(payments_in(firm_id, start, end))
    result = Books(
        slots={
            "d": Slots(_ids(documents_in(firm_id, start, end))),
            "p": Slots(payment_ids),
            "r": Slots(_ids(refund_rows(firm_id, start, end))),
        },
        paid=Slots(payment_ids),
        first_invoice=Slots(payment_ids),
    )
    streams = (
        _documents(firm_id, start, end, result),
        _payments(firm_id, start, end, rates, result),
        _refunds(firm_id, start, end, rates, result),
        _allocations(firm_id, start, end),
    )
    # Groups never cross clients: one client at a time, its lines and links together.
    merged = heapq.merge(*streams, key=itemgetter(0))
    for _client, items in groupby(merged, key=itemgetter(0)):
        nodes, edges = {}, []
        for _owner, key, node, edge in items:
            if node is not None:
                nodes[key] = node
            if edge is not None:
                edges.append(edge)
        _letter(nodes, edges, result)
        _what_payments_paid(nodes, edges, result)
    return result


def _what_payments_paid(nodes: dict, edges: list, result: Books) -> None:
    """How much of each payment went to how many invoices, and the first of them (the
    edges come in the allocations' order)."""
    paid: dict[Key, tuple[set, int]] = {}
    for source, invoice, amount in edges:
        if source[0] == "p" and amount is not None:
            invoices, total = paid.get(source, (set(), 0))
            if not invoices and source in nodes:
                result.first_invoice.set(source[1], invoice[1])
            paid[source] = ({*invoices, invoice}, total + amount)
    for key, (invoices, total) in paid.items():
        if key in nodes:
            one = ONE_INVOICE_WHOLLY if total == -nodes[key].amount else ONE_INVOICE
            result.paid.set(key[1], one if len(invoices) == 1 else SEVERAL_INVOICES)


def _documents(firm_id, start, end, result: Books) -> Iterator[tuple]:
    rows = (
        documents_in(firm_id, start, end)
        .order_by("client_id", "pk")
        .values_list(
            "client_id",
            "pk",
            "kind",
            "currency",
            "exchange_rate",
            "corrects__exchange_rate",
            # What the client's account is debited: the amount due (deposits deducted).
            Cast(Round((F("total_gross") - F("prepaid")) * 100), BigIntegerField()),
            "issue_date",
            "corrects_id",
            "credit_applied",
        )
    )
    rate_of = _rate_column()
    for client_id, pk, kind, currency, own, corrected, gross, day, *rest in read(
        rows, {4: rate_of, 5: rate_of}
    ):
        corrects, applied = rest
        key = ("d", pk)
        rate = document_rate(currency, own, corrected)
        if currency != EUR:
            result.foreign[key] = rate
        if rate is None:
            result.skipped.documents += 1
            continue
        sign = -1 if kind == DocumentKind.CREDIT_NOTE else 1
        node = Node(sign * gross, sign * euro_cents(gross, currency, rate), currency, day)
        yield client_id, key, node, (key, ("d", corrects), None) if corrects and applied else None


def _rate_column():
    field = Invoice._meta.get_field("exchange_rate")
    return decimal_of(field.decimal_places, field.max_digits)


def _payments(firm_id, start, end, rates: Rates, result: Books) -> Iterator[tuple]:
    rows = (
        payments_in(firm_id, start, end)
        .order_by("client_id", "pk")
        .values_list("client_id", "pk", "currency", cents("amount"), "received_on")
    )
    for client_id, pk, currency, amount, day in read(rows, {}):
        key = ("p", pk)
        rate = rates.payment(pk, client_id, currency, day)
        if currency != EUR:
            result.foreign[key] = rate
        if rate is None:
            result.skipped.payments += 1
            continue
        node = Node(-amount, -euro_cents(amount, currency, rate), currency, day)
        yield client_id, key, node, None


def _refunds(firm_id, start, end, rates: Rates, result: Books) -> Iterator[tuple]:
    rows = (
        refund_rows(firm_id, start, end)
        .annotate(owner=Coalesce("payment__client_id", "credit_note__client_id"))
        .order_by("owner", "pk")
        .values_list(
            "owner",
            "pk",
            cents("amount"),
            "on",
            "payment_id",
            "payment__currency",
            "payment__received_on",
            "credit_note_id",
            "credit_note__currency",
            "credit_note__exchange_rate",
            "credit_note__corrects__exchange_rate",
        )
    )
    rate_of = _rate_column()
    for client_id, pk, amount, day, payment, currency, received, *note in read(
        rows, {9: rate_of, 10: rate_of}
    ):
        credit_note, note_currency, own, corrected = note
        key = ("r", pk)
        if payment:
            rate = rates.payment(payment, client_id, currency, received)
            source: Key = ("p", payment)
        else:
            currency = note_currency
            rate = document_rate(currency, own, corrected)
            source = ("d", credit_note)
        if currency != EUR:
            result.foreign[key] = rate
        if rate is None:
            result.skipped.payments += 1
            continue
        node = Node(amount, euro_cents(amount, currency, rate), currency, day)
        yield client_id, key, node, (key, source, None)


def _allocations(firm_id, start, end) -> Iterator[tuple]:
    """Money applied to an invoice by the end of the year: a link from its source."""
    reaching_in = Q(on__lt=start) & (
        Q(invoice__issue_date__gte=start)
        | Q(payment__received_on__gte=start)
        | Q(credit_note__issue_date__gte=start)
    )
    rows = (
        Allocation.objects.filter(firm_id=firm_id, invoice__isnull=False, on__lte=end)
        .filter(Q(on__gte=start) | reaching_in)
        .order_by("invoice__client_id", "pk")
        .values_list(
            "invoice__client_id", "payment_id", "credit_note_id", "invoice_id", cents("amount")
        )
    )
    for client_id, payment, credit_note, invoice, amount in read(rows, {}):
        source = ("p", payment) if payment else ("d", credit_note)
        yield client_id, None, None, (source, ("d", invoice), amount)


def _groups(nodes: dict[Key, Node], edges: Iterable[tuple]) -> Iterator[list[Key]]:
    """The lines that links join, each group whole within the year."""
    parent: dict[Key, Key] = {}

    def root(key: Key) -> Key:
        while parent.get(key, key) != key:
            parent[key] = parent.get(parent[key], parent[key])
            key = parent[key]
        return key

    outside: list[Key] = []
    for one, other, _amount in edges:
        if one not in nodes or other not in nodes:
            outside.append(one if one in nodes else other)
            continue
        first, second = root(one), root(other)
        if first != second:
            parent[max(first, second)] = min(first, second)
    reaching_out = {root(key) for key in outside}
    groups: dict[Key, list[Key]] = defaultdict(list)
    for key in nodes:
        groups[root(key)].append(key)
    for group, keys in groups.items():
        if group not in reaching_out and len(keys) > 1:
            yield keys


def _letter(nodes: dict[Key, Node], edges: Iterable[tuple], result: Books) -> None:
    """Letter one client's settled groups, in the order they were settled."""
    settled = []
    for keys in _groups(nodes, edges):
        members = [nodes[key] for key in keys]
        if len({node.currency for node in members}) != 1 or sum(n.amount for n in members):
            continue
        last = max(keys, key=lambda key: (nodes[key].day, key))  # the day it was settled
        settled.append((nodes[last].day, last, keys))
    for rank, (day, last, keys) in enumerate(sorted(settled)):
        result.group_code.append(rank)
        result.group_day.append(day.toordinal())
        for kind, pk in keys:
            result.slots[kind].set(pk, len(result.group_day))
        difference = sum(nodes[key].euros for key in keys)
        if difference:
            result.differences[last] = Decimal(difference) / 100
