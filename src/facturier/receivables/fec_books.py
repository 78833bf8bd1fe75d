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
that reaches outside the year, or that does not balance yet, keeps no letter.
"""

import bisect
import datetime
import string
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count, product

from django.db.models import Q

from facturier.core import money
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice

from .models import Allocation, Payment

EUR = "EUR"
ONE = Decimal(1)
CHUNK = 2000

Key = tuple[str, int]  # ("d", document) | ("p", payment) | ("r", refund: an allocation)


def in_euros(amount: Decimal, rate: Decimal) -> Decimal:
    return money.quantize(amount * rate, EUR)


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


@dataclass
class Node:
    """One client-account line: signed (+ debits the client), in its currency and in euros."""

    amount: Decimal
    euros: Decimal
    currency: str
    day: datetime.date
    valid_at: datetime.datetime


@dataclass
class Books:
    rates: dict[Key, Decimal] = field(default_factory=dict)
    letters: dict[Key, tuple[str, datetime.date]] = field(default_factory=dict)
    # The settling entry -> euros still on the client's account once settled (+: owed).
    differences: dict[Key, Decimal] = field(default_factory=dict)
    # A payment -> (numbers of the invoices it paid, the part it paid them).
    paid: dict[int, tuple[list[str], Decimal]] = field(default_factory=dict)
    skipped: Skipped = field(default_factory=Skipped)


def letter_codes() -> Iterator[str]:
    """AA, AB, ... ZZ, AAA, ...: the lettering codes, in the order accounts are settled."""
    for size in count(2):
        for letters in product(string.ascii_uppercase, repeat=size):
            yield "".join(letters)


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
    index = bisect.bisect_right(dated, day, key=lambda item: item[0])
    return dated[index - 1][1] if index else dated[0][1]


def books(firm_id: int, start: datetime.date, end: datetime.date) -> Books:
    result, rates = Books(), Rates(firm_id, end)
    nodes: dict[Key, Node] = {}
    edges: list[tuple[Key, Key]] = []
    _documents(firm_id, start, end, result, nodes, edges)
    _payments(firm_id, start, end, rates, result, nodes)
    _refunds(firm_id, start, end, rates, result, nodes, edges)
    edges.extend(_allocations(firm_id, start, end, result))
    _letter(nodes, edges, result)
    return result


def _documents(firm_id, start, end, result: Books, nodes: dict, edges: list) -> None:
    rows = (
        Invoice.objects.filter(firm_id=firm_id, issue_date__gte=start, issue_date__lte=end)
        .exclude(status=InvoiceStatus.DRAFT)
        .values_list(
            "pk",
            "kind",
            "currency",
            "exchange_rate",
            "corrects__exchange_rate",
            "total_gross",
            "issue_date",
            "finalized_at",
            "corrects_id",
            "credit_applied",
        )
    )
    for pk, kind, currency, own, corrected, gross, day, valid_at, *rest in rows.iterator(
        chunk_size=CHUNK
    ):
        corrects, applied = rest
        rate = document_rate(currency, own, corrected)
        if rate is None:
            result.skipped.documents += 1
            continue
        sign = -1 if kind == DocumentKind.CREDIT_NOTE else 1
        key = ("d", pk)
        result.rates[key] = rate
        nodes[key] = Node(sign * gross, sign * in_euros(gross, rate), currency, day, valid_at)
        if corrects and applied:
            edges.append((key, ("d", corrects)))


def _payments(firm_id, start, end, rates: Rates, result: Books, nodes: dict) -> None:
    rows = Payment.objects.filter(
        firm_id=firm_id, received_on__gte=start, received_on__lte=end
    ).values_list("pk", "client_id", "currency", "amount", "received_on", "recorded_at")
    for pk, client_id, currency, amount, day, valid_at in rows.iterator(chunk_size=CHUNK):
        rate = rates.payment(pk, client_id, currency, day)
        if rate is None:
            result.skipped.payments += 1
            continue
        key = ("p", pk)
        result.rates[key] = rate
        nodes[key] = Node(-amount, -in_euros(amount, rate), currency, day, valid_at)


def refund_rows(firm_id: int, start, end):
    """Money given back in the period: a payment's unallocated part or a credit note's."""
    return Allocation.objects.filter(
        firm_id=firm_id, invoice__isnull=True, on__gte=start, on__lte=end
    )


def _refunds(firm_id, start, end, rates: Rates, result: Books, nodes: dict, edges: list) -> None:
    rows = refund_rows(firm_id, start, end).values_list(
        "pk",
        "amount",
        "on",
        "created_at",
        "payment_id",
        "payment__client_id",
        "payment__currency",
        "payment__received_on",
        "credit_note_id",
        "credit_note__currency",
        "credit_note__exchange_rate",
        "credit_note__corrects__exchange_rate",
    )
    for pk, amount, day, valid_at, payment, client_id, currency, received, *note in rows.iterator(
        chunk_size=CHUNK
    ):
        credit_note, note_currency, own, corrected = note
        if payment:
            rate = rates.payment(payment, client_id, currency, received)
            source: Key = ("p", payment)
        else:
            currency = note_currency
            rate = document_rate(currency, own, corrected)
            source = ("d", credit_note)
        if rate is None:
            result.skipped.payments += 1
            continue
        key = ("r", pk)
        result.rates[key] = rate
        nodes[key] = Node(amount, in_euros(amount, rate), currency, day, valid_at)
        edges.append((key, source))


def _allocations(firm_id, start, end, result: Books) -> Iterator[tuple[Key, Key]]:
    """Money applied to an invoice by the end of the year: an edge from its source."""
    reaching_in = Q(on__lt=start) & (
        Q(invoice__issue_date__gte=start)
        | Q(payment__received_on__gte=start)
        | Q(credit_note__issue_date__gte=start)
    )
    rows = (
        Allocation.objects.filter(firm_id=firm_id, invoice__isnull=False, on__lte=end)
        .filter(Q(on__gte=start) | reaching_in)
        .order_by("pk")
        .values_list("payment_id", "credit_note_id", "invoice_id", "invoice__number", "amount")
    )
    for payment, credit_note, invoice, number, amount in rows.iterator(chunk_size=CHUNK):
        if payment:
            numbers, total = result.paid.get(payment, ([], Decimal(0)))
            result.paid[payment] = ([*numbers, number], total + amount)
        yield (("p", payment) if payment else ("d", credit_note)), ("d", invoice)


def _letter(nodes: dict[Key, Node], edges: Iterable[tuple[Key, Key]], result: Books) -> None:
    parent: dict[Key, Key] = {}

    def root(key: Key) -> Key:
        while parent.get(key, key) != key:
            parent[key] = parent.get(parent[key], parent[key])
            key = parent[key]
        return key

    outside: list[Key] = []
    for one, other in edges:
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
    settled = []
    for group, keys in groups.items():
        members = [nodes[key] for key in keys]
        if group in reaching_out or len(keys) < 2 or len({n.currency for n in members}) != 1:
            continue
        if sum(node.amount for node in members):
            continue
        last = max(keys, key=lambda key: (nodes[key].day, nodes[key].valid_at, key))
        settled.append((nodes[last].day, nodes[last].valid_at, last, keys))
    codes = letter_codes()
    for day, _valid_at, last, keys in sorted(settled):
        code = next(codes)
        for key in keys:
            result.letters[key] = (code, day)
        difference = sum(nodes[key].euros for key in keys)
        if difference:
            result.differences[last] = difference
