"""The FEC (fichier des écritures comptables, Livre des procédures fiscales art. A47 A-1),
as a stream of lines (flat memory at any size).

The 18 columns in their order, tab-separated, dates as YYYYMMDD, amounts with a decimal
comma, one file per fiscal year, in ISO 8859-15 (a value the set cannot hold is written
with its nearest letters, and the export says how many). Two journals: sales (each
invoice debits the client's account and credits revenue and VAT collected per rate; a
credit note the reverse) and bank (each payment debits the bank and credits the client;
a refund the reverse). Every entry balances. Entries follow one another in the order they
were validated, whatever their journal, so validation dates never go back; each journal
numbers its entries on without a gap. Documents and payments in another currency are
booked in euros at the rate stated at finalization, their own amount and currency beside
(see fec_books for the rates and the lettering of the clients' account).
"""

import datetime
import functools
import heapq
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.db import connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facturier.core.charsets import LATIN9, NEAREST_LETTERS, holds, to_latin9
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice

from . import fec_books
from .fec_books import EUR, Books, Key, in_euros
from .models import LedgerAccounts

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
CHUNK = fec_books.CHUNK
Sorted = tuple  # (the order entries were validated in, the entry)
CONTENT_TYPE = f"text/plain; charset={LATIN9}"
ZERO = Decimal(0)
Skipped = fec_books.Skipped


def ledger_for(firm_id: int) -> LedgerAccounts:
    return LedgerAccounts.objects.filter(firm_id=firm_id).first() or LedgerAccounts(firm_id=firm_id)


def fiscal_year(ledger: LedgerAccounts, year: int) -> tuple[datetime.date, datetime.date]:
    """The fiscal year that ends in `year` (calendar year when it starts in January)."""
    month = ledger.fiscal_year_start or 1
    if month == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    start = datetime.date(year - 1, month, 1)
    end = datetime.date(year, month, 1) - datetime.timedelta(days=1)
    return start, end


def fec_filename(firm, end: datetime.date) -> str:
    siren = "".join(ch for ch in (firm.siren or "") if ch.isalnum()) or "000000000"
    return f"{siren}FEC{end:%Y%m%d}.txt"


def fec_words() -> dict[str, str]:
    """The FEC's labels, in French whoever asks: it is a French tax file."""
    with translation.override("fr"):
        return {
            "sales": _("Sales"),
            "bank": _("Bank"),
            "clients": _("Clients"),
            "revenue": _("Services rendered"),
            DocumentKind.INVOICE: _("Invoice"),
            DocumentKind.CREDIT_NOTE: _("Credit note"),
            "vat": _("VAT collected %(rate)s%%"),
            "payment": _("Payment %(client)s"),
            "refund": _("Refund %(client)s"),
            "loss": _("Exchange loss"),
            "gain": _("Exchange gain"),
        }


# -- what the export tells its reader ---------------------------------------------------


@dataclass
class FecNotice:
    """What the user is told beside the file: what it could not book, and the values it
    wrote with their nearest ISO 8859-15 letters (original -> as written)."""

    skipped: Skipped
    transliterated: list[tuple[str, str]]

    def headers(self) -> dict[str, str]:
        found = {"X-Transliterated": str(len(self.transliterated))}
        if self.skipped.documents or self.skipped.payments:
            found["X-Left-Out"] = (
                f"documents={self.skipped.documents}; payments={self.skipped.payments}"
            )
        return found


def notice(firm_id: int, start: datetime.date, end: datetime.date) -> FecNotice:
    return FecNotice(
        skipped=fec_books.skipped(firm_id, start, end),
        transliterated=transliterated(firm_id, start, end),
    )


def transliterated(firm_id: int, start, end) -> list[tuple[str, str]]:
    """The names, numbers and references of the year that ISO 8859-15 cannot hold."""
    documents = fec_books.documents_in(firm_id, start, end).order_by()
    payments = fec_books.payments_in(firm_id, start, end).order_by()
    refunds = fec_books.refund_rows(firm_id, start, end).order_by()
    ledger = ledger_for(firm_id)
    sources = [
        documents.values_list("client__name", flat=True).distinct(),
        documents.values_list("number", flat=True),
        payments.values_list("client__name", flat=True).distinct(),
        payments.values_list("reference", flat=True).distinct(),
        refunds.values_list("payment__client__name", flat=True).distinct(),
        refunds.values_list("credit_note__client__name", flat=True).distinct(),
        [getattr(ledger, name) for name in LedgerAccounts.CODES],
    ]
    found = {}
    for values in sources:
        for value in values.iterator(chunk_size=CHUNK) if hasattr(values, "iterator") else values:
            text = _spaced(value)
            if text and not holds(text):
                found[text] = to_latin9(text)
    return sorted(found.items())


# -- the lines ---------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _day(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):  # read aware: the firm's books keep local days
        value = value.astimezone(timezone.get_default_timezone()).date()
    return _yyyymmdd(value)


@functools.lru_cache(maxsize=4096)
def _yyyymmdd(value: datetime.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


@functools.lru_cache(maxsize=4096)  # accounts, labels and names come back line after line
def _spaced(value) -> str:
    """A field may hold neither the separator nor a line break."""
    return " ".join(str(value or "").split())


@dataclass
class Entry:
    """One entry: its lines share the journal, number, dates and piece."""

    sort_key: tuple
    journal: str
    journal_label: str
    day: datetime.date
    piece: str
    piece_day: datetime.date
    text: str
    valid_at: datetime.datetime
    currency: str
    # Each line from its date on, as written: only the entry's number, given once the
    # journals are merged, comes before it.
    lines: list[str] = field(default_factory=list)

    def __post_init__(self):
        # What every line of the entry repeats, worked out once per entry.
        self._dated = f"\t{_day(self.day)}\t"
        self._piece = f"\t{_spaced(self.piece)}\t{_day(self.piece_day)}\t{_spaced(self.text)}\t"
        self._valid = f"\t{_day(self.valid_at)}\t"

    def add(
        self,
        account: str,
        label: str,
        euros: Decimal,
        *,
        debit: bool,
        aux: tuple[str, str] = ("", ""),
        letter: tuple[str, datetime.date] | None = None,
        foreign: Decimal | None = None,
    ) -> None:
        """A line: `aux` its client (number, name), `letter` (code, date), `foreign` its
        amount in the entry's currency."""
        if not euros:  # a line neither debits nor credits: the tool refuses it
            return
        code, lettered = letter or ("", None)
        amount = _amount(euros)
        amounts = f"{amount}\t0,00" if debit else f"0,00\t{amount}"
        if foreign is not None and self.currency != EUR:
            in_currency = f"{_amount(foreign)}\t{self.currency}"
        else:
            in_currency = "\t"
        self.lines.append(
            f"{self._dated}{_spaced(account)}\t{_spaced(label)}\t{_spaced(aux[0])}"
            f"\t{_spaced(aux[1])}{self._piece}{amounts}\t{code}\t{_day(lettered)}"
            f"{self._valid}{in_currency}\r\n"
        )

    def render(self, number: str) -> str:
        """The entry's lines, each value already free of tabs and line breaks."""
        head = f"{_spaced(self.journal)}\t{_spaced(self.journal_label)}\t{number}"
        return "".join([head + line for line in self.lines])


def fec_bytes(firm_id: int, start: datetime.date, end: datetime.date) -> Iterator[bytes]:
    """The FEC of the firm over [start, end] as its file holds it, an entry's lines at a
    time (header first): ISO 8859-15, a character it cannot hold written with its nearest
    letters."""
    for lines in _entries(firm_id, start, end):
        yield lines.encode(LATIN9, errors=NEAREST_LETTERS)


def fec_lines(firm_id: int, start: datetime.date, end: datetime.date) -> Iterator[str]:
    """The same as text."""
    for lines in fec_bytes(firm_id, start, end):
        yield lines.decode(LATIN9)


def _entries(firm_id: int, start: datetime.date, end: datetime.date) -> Iterator[str]:
    yield "\t".join(FEC_COLUMNS) + "\r\n"
    ledger, words = ledger_for(firm_id), fec_words()
    booked = fec_books.books(firm_id, start, end)
    streams = (
        _sales(ledger, words, booked, firm_id, start, end),
        _payments(ledger, words, booked, firm_id, start, end),
        _refunds(ledger, words, booked, firm_id, start, end),
    )
    numbers: dict[str, int] = defaultdict(int)
    for _key, entry in heapq.merge(*streams):
        if not entry.lines:  # a document of nothing: no entry, no number taken
            continue
        numbers[entry.journal] += 1
        yield entry.render(f"{entry.journal}{numbers[entry.journal]:06d}")


@functools.lru_cache(maxsize=1024)
def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _client_aux(client_id: int, name: str) -> tuple[str, str]:
    return f"C{client_id:06d}", name


def _vat_lines(breakdown: list | None, gross: Decimal) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(rate, base, vat) per rate, the last base mended so base + VAT = the total."""
    rows = [
        (Decimal(str(b["rate"])), Decimal(str(b["base"])), Decimal(str(b["vat"])))
        for b in breakdown or []
    ]
    if not rows:
        return [(Decimal(0), gross, Decimal(0))]
    difference = gross - sum(base + vat for _rate, base, vat in rows)
    rate, base, vat = rows[-1]
    rows[-1] = (rate, base + difference, vat)
    return rows


def _in_euros(breakdown, gross: Decimal, rate: Decimal) -> list[tuple]:
    """(VAT rate, base, vat, base in euros, vat in euros): the euro lines add up to the
    total in euros of the client's line (the last base takes the rounding)."""
    rows = [
        (vat_rate, base, vat, in_euros(base, rate), in_euros(vat, rate))
        for vat_rate, base, vat in _vat_lines(breakdown, gross)
    ]
    difference = in_euros(gross, rate) - sum(base + vat for *_rest, base, vat in rows)
    vat_rate, base, vat, base_euros, vat_euros = rows[-1]
    rows[-1] = (vat_rate, base, vat, base_euros + difference, vat_euros)
    return rows


def _exchange(entry: Entry, key: Key, booked: Books, ledger, words, aux) -> None:
    """The exchange difference left on the client's account by the entry that settles it."""
    difference = booked.differences.get(key)
    if not difference:
        return
    client = {"aux": aux, "letter": booked.letter(key)}
    if difference > 0:  # less came in, in euros, than the invoices were booked at: a loss
        entry.add(ledger.client_account, words["clients"], difference, debit=False, **client)
        entry.add(ledger.exchange_loss_account, words["loss"], difference, debit=True)
    else:
        entry.add(ledger.client_account, words["clients"], -difference, debit=True, **client)
        entry.add(ledger.exchange_gain_account, words["gain"], -difference, debit=False)


# The columns of _sales's rows that need converting: finalized_at, the total and the
# deposits deducted (as cents), the VAT breakdown.
SALES_CONVERTED = {
    4: fec_books.moment_of,
    5: fec_books.from_cents,
    9: fec_books.json_of,
    10: fec_books.from_cents,
}


def _sales(ledger, words, booked: Books, firm_id: int, start, end) -> Iterator[Sorted]:
    documents = (
        Invoice.objects.filter(firm_id=firm_id, issue_date__gte=start, issue_date__lte=end)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("finalized_at", "pk")
        .values_list(
            "pk",
            "kind",
            "number",
            "issue_date",
            "finalized_at",
            fec_books.cents("total_gross"),
            "client_id",
            "client__name",
            "currency",
            # Only the VAT breakdown of the frozen snapshot, read in the database.
            "snapshot__totals__vat_breakdown",
            fec_books.cents("prepaid"),
        )
    )
    for pk, kind, piece, issued, finalized, gross, client_id, client, *rest in fec_books.read(
        documents, SALES_CONVERTED
    ):
        currency, breakdown, prepaid = rest
        key = ("d", pk)
        rate = booked.rate(key, currency)
        if rate is None:
            continue
        aux = _client_aux(client_id, client)
        debit = kind != DocumentKind.CREDIT_NOTE
        finalized = finalized or _start_of(issued)
        entry = Entry(
            (finalized, 0, pk),
            ledger.sales_journal,
            words["sales"],
            issued,
            piece,
            issued,
            f"{words[kind]} {piece} {client}",
            finalized,
            currency,
        )
        deposits = _deposits_deducted(pk) if prepaid else []
        deducted = sum((in_euros(d_gross, rate) for _b, d_gross in deposits), Decimal(0))
        entry.add(
            ledger.client_account,
            words["clients"],
            in_euros(gross, rate) - deducted,
            debit=debit,
            aux=aux,
            letter=booked.letter(key),
            foreign=gross - prepaid,
        )
        _revenue_and_vat(entry, ledger, words, _in_euros(breakdown, gross, rate), debit=debit)
        for deposit_breakdown, deposit_gross in deposits:
            # Booked on the deposit invoice already: taken off this one's revenue and VAT.
            rows = _in_euros(deposit_breakdown, deposit_gross, rate)
            _revenue_and_vat(entry, ledger, words, rows, debit=not debit)
        _exchange(entry, key, booked, ledger, words, aux)
        yield entry.sort_key, entry


def _revenue_and_vat(entry: Entry, ledger, words, rows, *, debit: bool) -> None:
    """A document's revenue and VAT lines, per VAT rate (credited on an invoice)."""
    for vat_rate, base, vat, base_euros, vat_euros in rows:
        entry.add(
            ledger.revenue_account, words["revenue"], base_euros, debit=not debit, foreign=base
        )
        if vat:
            account = (ledger.vat_accounts or {}).get(f"{vat_rate:.2f}") or ledger.vat_account
            label = words["vat"] % {"rate": f"{vat_rate.normalize():f}"}
            entry.add(account, label, vat_euros, debit=not debit, foreign=vat)


def _deposits_deducted(pk: int) -> list[tuple]:
    """(VAT breakdown, total) of each deposit invoice the invoice deducts."""
    return list(
        Invoice.objects.filter(deducted_by_id=pk, deposit=True)
        .order_by("pk")
        .values_list("snapshot__totals__vat_breakdown", "total_gross")
    )


def _payment_piece(pk: int, reference: str, paid: int, first: str | None) -> str:
    """The invoice's number when the payment paid one invoice, all of it on that one;
    else the payment's own reference (the bank's, or P and its number in the app)."""
    if paid == fec_books.ONE_INVOICE_WHOLLY and first:
        return first
    return reference or f"P{pk}"


def _paid_text(reference: str, paid: int, first: str | None) -> str:
    """What the label adds: the (first) invoice paid, the bank's reference."""
    numbers = f"{first} ..." if paid == fec_books.SEVERAL_INVOICES else (first or "")
    return "".join(f" {part}" for part in (numbers, reference) if part)


def _bank_entry(ledger, words, booked: Books, key: Key, row: tuple) -> Entry:
    """Money in (a payment) or out (a refund): the bank against the client's account."""
    day, valid_at, amount, currency, client_id, client, piece, more, rate = row
    aux, received = _client_aux(client_id, client), more is not None
    text = (words["payment"] if received else words["refund"]) % {"client": client}
    if received:
        text += more
    entry = Entry(
        (valid_at, 1 if received else 2, key[1]),
        ledger.bank_journal,
        words["bank"],
        day,
        piece,
        day,
        text,
        valid_at,
        currency,
    )
    euros = in_euros(amount, rate)
    entry.add(ledger.bank_account, words["bank"], euros, debit=received, foreign=amount)
    entry.add(
        ledger.client_account,
        words["clients"],
        euros,
        debit=not received,
        aux=aux,
        letter=booked.letter(key),
        foreign=amount,
    )
    _exchange(entry, key, booked, ledger, words, aux)
    return entry


def _payments(ledger, words, booked: Books, firm_id: int, start, end) -> Iterator[Sorted]:
    rows = (
        fec_books.payments_in(firm_id, start, end)
        .order_by("recorded_at", "pk")
        .values_list(
            "pk",
            "received_on",
            "recorded_at",
            fec_books.cents("amount"),
            "currency",
            "client_id",
            "client__name",
            "reference",
        )
    )
    rows = fec_books.read(rows, {2: fec_books.moment_of, 3: fec_books.from_cents})
    while chunk := list(islice(rows, CHUNK)):
        numbers = _first_paid(booked, chunk)
        for pk, day, recorded, amount, currency, client_id, client, reference in chunk:
            key = ("p", pk)
            rate = booked.rate(key, currency)
            if rate is None:
                continue
            paid, first = booked.paid.get(pk), numbers.get(booked.first_invoice.get(pk))
            piece = _payment_piece(pk, reference, paid, first)
            more = _paid_text(reference, paid, first)
            row = (day, recorded, amount, currency, client_id, client, piece, more, rate)
            entry = _bank_entry(ledger, words, booked, key, row)
            yield entry.sort_key, entry


def _first_paid(booked: Books, rows: list[tuple]) -> dict[int, str]:
    """The number of the first invoice each payment of `rows` paid, by invoice id: one
    query for a chunk of payments (a subquery per payment costs the database more)."""
    ids = sorted({booked.first_invoice.get(row[0]) for row in rows} - {0})
    if not ids:
        return {}
    # Written bare: the ORM prepares each of a chunk's 2,000 ids one by one, which cost
    # the export more than the database's answer.
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote('id')}, {quote('number')} FROM {quote(Invoice._meta.db_table)} "
        f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return dict(cursor.fetchall())


def _refunds(ledger, words, booked: Books, firm_id: int, start, end) -> Iterator[Sorted]:
    rows = (
        fec_books.refund_rows(firm_id, start, end)
        .filter(Q(payment__isnull=False) | Q(credit_note__isnull=False))
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "on",
            "created_at",
            "amount",
            "payment_id",
            "payment__currency",
            "payment__client_id",
            "payment__client__name",
            "payment__reference",
            "credit_note__currency",
            "credit_note__client_id",
            "credit_note__client__name",
            "credit_note__number",
        )
    )
    for pk, day, created, amount, payment, *rest in rows.iterator(chunk_size=CHUNK):
        p_currency, p_client, p_name, reference, c_currency, c_client, c_name, number = rest
        key = ("r", pk)
        currency = p_currency if payment else c_currency
        rate = booked.rate(key, currency)
        if rate is None:
            continue
        if payment:
            row = (day, created, amount, currency, p_client, p_name, reference or f"P{payment}")
        else:
            row = (day, created, amount, currency, c_client, c_name, number)
        entry = _bank_entry(ledger, words, booked, key, (*row, None, rate))
        yield entry.sort_key, entry
