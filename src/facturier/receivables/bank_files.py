"""Reading bank files: ISO 20022 camt.053, camt.052 and camt.054 (see camt.py), MT940
(see mt940.py) or CSV (with a column mapping the firm saves). Pure functions: bytes in,
every transaction of the file out, each with its fate (money to match, or the reason it
is not), or an error that names the line.
"""

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

# Beyond this a file is not a day's or a month's statement: refused before parsing.
MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 5000
CSV_FIELDS = ("date", "amount", "label", "reference")
# A day whose day, month and year all differ: a date format must read it back whole.
_SAMPLE_DAY = datetime.date(2026, 11, 23)


class Skip(models.TextChoices):
    """Why a transaction of the file is not money received to match with an invoice."""

    DEBIT = "debit", _("money paid out")
    REVERSAL = "reversal", _("reversal of an earlier entry")
    RETURN = "return", _("payment returned")
    NOT_BOOKED = "not_booked", _("not booked yet")
    NOTHING = "nothing", _("amount of zero")
    NO_BOOKED_AMOUNT = "no_amount", _("no amount in the account's currency")


class StatementError(ValueError):
    """The file cannot be read; `line` is where (1-based), when one line is to blame;
    `field` is the import's parameter to blame (the file, or the date format)."""

    def __init__(
        self,
        message,
        *,
        line: int | None = None,
        code: str = "invalid_file",
        field: str = "file",
    ):
        super().__init__(str(message))
        self.message = message
        self.line = line
        self.code = code
        self.field = field


@dataclass(frozen=True)
class StatementLine:
    """One transaction of the file. `amount` is what was booked on the account, in its
    currency, negative for money paid out; `skip` says why it is not money to match."""

    line: int  # where it is in the file (1-based: transaction number, or CSV line)
    booked_on: datetime.date
    amount: Decimal
    currency: str
    label: str
    reference: str
    debtor_name: str
    debtor_iban: str
    bank_reference: str  # the bank's own reference for the entry, when it gives one
    entry: int = 0  # the entry (camt, MT940) holding the transaction
    instructed_amount: Decimal | None = None
    instructed_currency: str = ""
    skip: str = ""
    skip_detail: str = ""  # the bank's words: a return's reason code, a status
    identity: tuple = ()  # what tells this transaction from any other in any file

    @property
    def key(self) -> str:
        """What makes the transaction the same one when a file comes twice: a digest of
        its identity (account, day, amount, the bank's references, text and payer);
        for a CSV line, of its date, amount, currency and label."""
        identity = self.identity or (
            self.booked_on.isoformat(),
            str(self.amount),
            self.currency,
            self.label.strip(),
        )
        return "sha256:" + hashlib.sha256("|".join(identity).encode()).hexdigest()

    @property
    def former_keys(self) -> list[str]:
        """The keys earlier versions gave the same line: the bank's entry reference, or
        the digest of date, amount, currency and label."""
        if self.bank_reference:
            return ["ref:" + self.bank_reference[:200]]
        raw = "|".join(
            [self.booked_on.isoformat(), str(self.amount), self.currency, self.label.strip()]
        )
        return ["sha256:" + hashlib.sha256(raw.encode()).hexdigest()]


def parse_decimal(text: str, *, line: int, decimal_comma: bool = False, entry=False) -> Decimal:
    """The amount written; refused, naming the line (or the entry), if it is not one."""
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) > Decimal("999999999999.99"):
        message = (
            _("Entry %(line)d: “%(value)s” is not an amount.")
            if entry
            else _("Line %(line)d: “%(value)s” is not an amount.")
        )
        raise StatementError(message % {"line": line, "value": (text or "")[:40]}, line=line)
    return value


def iban(text: str | None) -> str:
    if not text:
        return ""
    try:
        return IBAN(text).compact
    except SchwiftyException:
        return ""  # kept out rather than trusted: it only helps matching


def single_line(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def parse_csv(data: bytes, mapping: dict[str, str], *, currency: str) -> list[StatementLine]:
    """`mapping`: our field (date, amount, label, reference) -> the file's column name,
    plus date_format (e.g. %d/%m/%Y) and decimal_comma ("1" when amounts read 1 234,56)."""
    reader = _csv_reader(_csv_text(data))
    _check_columns(reader, mapping)
    date_format = check_date_format(mapping.get("date_format") or "%d/%m/%Y")
    decimal_comma = mapping.get("decimal_comma") in ("1", "true", True)
    lines = []
    try:
        for row in reader:
            number = reader.line_num
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            raw_day = (row.get(mapping["date"]) or "").strip()
            try:
                booked_on = datetime.datetime.strptime(raw_day, date_format).date()
            except ValueError:
                raise StatementError(
                    _("Line %(line)d: “%(value)s” is not a date like %(format)s.")
                    % {"line": number, "value": raw_day[:40], "format": date_format},
                    line=number,
                ) from None
            amount = parse_decimal(
                row.get(mapping["amount"]) or "", line=number, decimal_comma=decimal_comma
            )
            reference_column = mapping.get("reference")
            lines.append(
                StatementLine(
                    line=number,
                    booked_on=booked_on,
                    amount=amount,
                    currency=currency,
                    label=single_line(row.get(mapping["label"]), 500),
                    reference=single_line(row.get(reference_column), 140)
                    if reference_column
                    else "",
                    debtor_name="",
                    debtor_iban="",
                    bank_reference="",
                    skip="" if amount > 0 else Skip.DEBIT if amount < 0 else Skip.NOTHING,
                )
            )
            if len(lines) > MAX_LINES:
                raise StatementError(_("The file has more than %d lines.") % MAX_LINES)
    except csv.Error as exc:
        raise StatementError(
            _("Line %(line)d: %(problem)s") % {"line": reader.line_num, "problem": exc},
            line=reader.line_num,
        ) from None
    return lines


def check_date_format(date_format: str) -> str:
    """The format, if it reads back a day, a month and a year it wrote; else refused
    (%Y%Y, a stray %, a format without the year would read nonsense or nothing)."""
    try:
        valid = (
            datetime.datetime.strptime(_SAMPLE_DAY.strftime(date_format), date_format).date()
            == _SAMPLE_DAY
        )
    except (ValueError, re.error, TypeError, OverflowError):
        valid = False
    if not valid:
        raise StatementError(
            _("“%(format)s” is not a date format with a day, a month and a year, like %%d/%%m/%%Y.")
            % {"format": str(date_format)[:40]},
            code="invalid_date_format",
            field="date_format",
        )
    return date_format


def _csv_text(data: bytes) -> str:
    """The file as text (UTF-8, else Windows-1252), its line ends made \\n."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # what French banks' exports often are
        except UnicodeDecodeError:
            raise StatementError(_("The file is not text.")) from None
    if "\x00" in text:
        raise StatementError(_("The file is not text."))
    # Lines may end with \r\n, \n, or \r alone (older systems): read them all as \n.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _csv_reader(text: str) -> csv.DictReader:
    """A reader in the file's own dialect (separator guessed among ; , and tab)."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(text), dialect=dialect)


def _check_columns(reader: csv.DictReader, mapping: dict[str, str]) -> None:
    """Read the header line; refuse a file without the date, amount or label column."""
    try:
        columns = reader.fieldnames or []  # reads the header line
    except csv.Error as exc:
        raise StatementError(
            _("Line %(line)d: %(problem)s") % {"line": 1, "problem": exc}, line=1
        ) from None
    for field in ("date", "amount", "label"):
        if mapping.get(field) not in columns:
            raise StatementError(
                _(
                    "The column “%(column)s” (%(field)s) is not in the file; "
                    "its columns are: %(columns)s."
                )
                % {
                    "column": mapping.get(field) or "",
                    "field": field,
                    "columns": ", ".join(columns)[:300],
                },
                code="missing_column",
            )


_XML_STARTS = (b"<", b"\xef\xbb\xbf<", b"\xff\xfe<\x00", b"\xfe\xff\x00<", b"<\x00", b"\x00<")
# camt messages: the one the file holds is the one read, whichever of them is asked.
CAMT_FORMATS = ("camt053", "camt052", "camt054")


def detect(data: bytes) -> str:
    """XML (in UTF-8 or UTF-16, with or without a byte-order mark) is read as camt, a
    SWIFT message (its blocks, or its first field :20:) as MT940, anything else as CSV."""
    start = data.lstrip()
    if start.startswith(_XML_STARTS):
        return "camt053"
    if start.startswith((b"{1:", b":20:", b"\xef\xbb\xbf:20:")):
        return "mt940"
    return "csv"


def parse(
    data: bytes, *, fmt: str, mapping: dict[str, str], currency: str
) -> tuple[str, list[StatementLine]]:
    """The file's format as read (camt053, camt052, camt054, mt940 or csv) and every
    transaction in it."""
    from . import camt, mt940  # the readers build on this module's lines and errors

    if len(data) > MAX_BYTES:
        raise StatementError(_("The file is larger than 5 MB."), code="too_large")
    if not data.strip():
        raise StatementError(_("The file is empty."), code="empty")
    if fmt == "auto":
        fmt = detect(data)
    if fmt in CAMT_FORMATS:
        message, lines = camt.parse_camt(data)
        fmt = message.replace(".", "")
    elif fmt == "mt940":
        lines = mt940.parse_mt940(data)
    else:
        lines = parse_csv(data, mapping, currency=currency)
    if len(lines) > MAX_LINES:
        raise StatementError(_("The file has more than %d lines.") % MAX_LINES)
    return fmt, lines
