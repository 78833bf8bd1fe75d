"""Reading bank statements: ISO 20022 camt.053 (with pycamt) or CSV (with a column
mapping the firm saves). Pure functions: bytes in, credit lines out, or an error that
names the line. Debits are not payments received and are left out.

An XML file is first read by defusedxml, which refuses any DTD or entity whatever the
file's encoding, and must be a camt.053 Document in a version pycamt reads.
"""

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring
from django.utils.translation import gettext_lazy as _
from lxml import etree
from pycamt.parser import Camt053Parser
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

# Beyond this a file is not a day's or a month's statement: refused before parsing.
MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 5000
CSV_FIELDS = ("date", "amount", "label", "reference")
# The camt.053 versions pycamt reads (its own list); camt.052 and camt.054 are reports
# and notifications, not booked statements.
CAMT053_VERSIONS = ("02", "03", "04", "08", "12")
CAMT053_NAMESPACES = frozenset(
    f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}" for version in CAMT053_VERSIONS
)
# A day whose day, month and year all differ: a date format must read it back whole.
_SAMPLE_DAY = datetime.date(2026, 11, 23)


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
    line: int  # where it is in the file (1-based: entry number, or CSV line)
    booked_on: datetime.date
    amount: Decimal
    currency: str
    label: str
    reference: str
    debtor_name: str
    debtor_iban: str
    bank_reference: str  # the bank's own reference for the entry, when it gives one

    @property
    def key(self) -> str:
        """What makes the line the same line when a statement comes twice: the bank's
        entry reference, or the date, amount, currency and label."""
        if self.bank_reference:
            return "ref:" + self.bank_reference[:200]
        raw = "|".join(
            [self.booked_on.isoformat(), str(self.amount), self.currency, self.label.strip()]
        )
        return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def _decimal(text: str, *, line: int, decimal_comma: bool = False) -> Decimal:
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) > Decimal("999999999999.99"):
        raise StatementError(
            _("Line %(line)d: “%(value)s” is not an amount.")
            % {"line": line, "value": (text or "")[:40]},
            line=line,
        )
    return value


def _iban(text: str | None) -> str:
    if not text:
        return ""
    try:
        return IBAN(text).compact
    except SchwiftyException:
        return ""  # kept out rather than trusted: it only helps matching


def _single_line(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def _check_camt053(data: bytes) -> None:
    """Refuse a DTD or an entity in any encoding, malformed XML, and any document but a
    camt.053 statement in a version the parser reads."""
    try:
        root = safe_fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise StatementError(
            _("The file declares entities: it is not read."), code="xml_entities"
        ) from None
    except (ValueError, LookupError):  # an encoding the XML parser does not read
        raise StatementError(
            _("The XML's encoding is not one this reads (UTF-8, UTF-16, ISO-8859-1)."),
            code="invalid_encoding",
        ) from None
    except ParseError as exc:
        line = (getattr(exc, "position", None) or (0, 0))[0]
        raise StatementError(
            _("Line %(line)d: the XML is malformed.") % {"line": line}, line=line
        ) from None
    namespace, _brace, name = root.tag[1:].partition("}") if root.tag[:1] == "{" else ("", "", "")
    if namespace not in CAMT053_NAMESPACES or name != "Document":
        raise StatementError(
            _(
                "This is not a camt.053 bank statement: its namespace is “%(namespace)s”; "
                "the versions read are %(versions)s."
            )
            % {
                "namespace": namespace[:100] or "—",
                "versions": ", ".join(f"camt.053.001.{v}" for v in CAMT053_VERSIONS),
            },
            code="unsupported_namespace",
        )


def parse_camt053(data: bytes) -> list[StatementLine]:
    _check_camt053(data)
    try:
        parser = Camt053Parser(data)
        transactions = parser.get_transactions()
    except etree.XMLSyntaxError as exc:
        raise StatementError(
            _("Line %(line)d: the XML is malformed.") % {"line": exc.lineno or 0},
            line=exc.lineno,
        ) from None
    except Exception:  # pycamt's own error, or an element it expected and did not find
        raise StatementError(
            _("This is not a camt.053 bank statement (no statement or entries found).")
        ) from None
    lines = []
    for index, tx in enumerate(transactions, start=1):
        if tx.get("CreditDebitIndicator") != "CRDT" or tx.get("ReversalIndicator") == "true":
            continue
        if tx.get("Status") not in (None, "BOOK"):
            continue  # pending or informational entries are not money received yet
        day_text = tx.get("BookingDate") or tx.get("ValueDate") or ""
        try:
            booked_on = datetime.date.fromisoformat(day_text[:10])
        except ValueError:
            raise StatementError(
                _("Entry %(line)d: “%(value)s” is not a date.")
                % {"line": index, "value": day_text[:40]},
                line=index,
            ) from None
        amount = _decimal(tx.get("Amount") or "", line=index)
        if amount <= 0:
            raise StatementError(
                _("Entry %(line)d: a credit of “%(value)s” is not money received.")
                % {"line": index, "value": (tx.get("Amount") or "")[:40]},
                line=index,
                code="invalid_amount",
            )
        currency = (tx.get("Currency") or "").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise StatementError(_("Entry %(line)d has no currency.") % {"line": index}, line=index)
        label = tx.get("RemittanceInformation") or tx.get("AdditionalEntryInformation") or ""
        lines.append(
            StatementLine(
                line=index,
                booked_on=booked_on,
                amount=amount,
                currency=currency,
                label=_single_line(label, 500),
                reference=_single_line(tx.get("EndToEndId"), 140)
                if tx.get("EndToEndId") != "NOTPROVIDED"
                else "",
                debtor_name=_single_line(tx.get("DebtorName"), 200),
                debtor_iban=_iban(tx.get("DebtorIBAN")),
                bank_reference=_single_line(tx.get("TransactionID"), 200),
            )
        )
    return lines


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
            amount = _decimal(
                row.get(mapping["amount"]) or "", line=number, decimal_comma=decimal_comma
            )
            if amount <= 0:
                continue  # a debit
            reference_column = mapping.get("reference")
            lines.append(
                StatementLine(
                    line=number,
                    booked_on=booked_on,
                    amount=amount,
                    currency=currency,
                    label=_single_line(row.get(mapping["label"]), 500),
                    reference=_single_line(row.get(reference_column), 140)
                    if reference_column
                    else "",
                    debtor_name="",
                    debtor_iban="",
                    bank_reference="",
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


def detect(data: bytes) -> str:
    """XML (in UTF-8 or UTF-16, with or without a byte-order mark) is read as camt.053."""
    return "camt053" if data.lstrip().startswith(_XML_STARTS) else "csv"


def parse(data: bytes, *, fmt: str, mapping: dict[str, str], currency: str) -> list[StatementLine]:
    if len(data) > MAX_BYTES:
        raise StatementError(_("The file is larger than 5 MB."), code="too_large")
    if not data.strip():
        raise StatementError(_("The file is empty."), code="empty")
    if fmt == "auto":
        fmt = detect(data)
    lines = parse_camt053(data) if fmt == "camt053" else parse_csv(data, mapping, currency=currency)
    if len(lines) > MAX_LINES:
        raise StatementError(_("The file has more than %d lines.") % MAX_LINES)
    return lines
