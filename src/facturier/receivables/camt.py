"""Reading ISO 20022 bank-to-customer messages: camt.053 (statement), camt.052
(intraday report) and camt.054 (debit and credit notification), as one list of
transactions with the fate each one gets.

Every transaction of the file comes out, none merged with another: an entry holding
several transaction details (a batch) gives one transaction each; an entry without
details is one transaction. The amount is what was booked on the account, in the
account's currency; the amount the payer instructed, when the bank gives another one,
is kept beside it. Debits, reversals, returns, entries not booked yet and credits of
nothing are kept too, each with the reason it is not money to match.

The bytes are read by defusedxml, which refuses any DTD or entity in any encoding.
"""

import datetime
import re
from decimal import Decimal
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring
from django.utils.translation import gettext_lazy as _

from .bank_files import (
    Skip,
    StatementError,
    StatementLine,
    iban,
    parse_decimal,
    single_line,
)

ISO = "urn:iso:std:iso:20022:tech:xsd:"
VERSIONS = tuple(f"{n:02d}" for n in range(2, 14))
# The message, and the element under its root that holds each account's entries.
MESSAGES = {
    "camt.053": ("BkToCstmrStmt", "Stmt"),
    "camt.052": ("BkToCstmrAcctRpt", "Rpt"),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
# Bank transaction sub-families that say the money comes back from a payment made.
CENT = Decimal("0.01")
RETURN_FAMILIES = frozenset({"RRTN", "UPDD", "RPCR"})


def message_of(data: bytes) -> tuple[Element, str]:
    """The document's root and its message (camt.053, camt.052 or camt.054); refuses a
    DTD or an entity in any encoding, malformed XML, and any other message or version."""
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
    match = re.fullmatch(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[234])\.001\.(\d\d)", namespace)
    if name != "Document" or match is None or match.group(2) not in VERSIONS:
        raise StatementError(
            _(
                "This is not a bank statement, report or notification read here: its "
                "namespace is “%(namespace)s”; the messages read are %(versions)s."
            )
            % {
                "namespace": namespace[:100] or "—",
                "versions": "camt.052, camt.053, camt.054 (001.02–001.13)",
            },
            code="unsupported_namespace",
        )
    return root, match.group(1)


class _Reader:
    """Finds elements by their ISO names under the document's namespace."""

    def __init__(self, root: Element):
        self.ns = root.tag[: root.tag.index("}") + 1]

    def path(self, path: str) -> str:
        return "/".join(self.ns + step for step in path.split("/"))

    def all(self, element: Element | None, path: str) -> list[Element]:
        return [] if element is None else element.findall(self.path(path))

    def one(self, element: Element | None, *paths: str) -> Element | None:
        for path in paths:
            found = None if element is None else element.find(self.path(path))
            if found is not None:
                return found
        return None

    def text(self, element: Element | None, *paths: str) -> str:
        for path in paths:
            found = None if element is None else element.find(self.path(path))
            if found is not None and (found.text or "").strip():
                return found.text.strip()
        return ""


def parse_camt(data: bytes) -> tuple[str, list[StatementLine]]:
    """The message (camt.053, camt.052, camt.054) and every transaction in it."""
    root, message = message_of(data)
    read = _Reader(root)
    body, account_tag = MESSAGES[message]
    reports = read.all(root, f"{body}/{account_tag}")
    if not read.all(root, body):
        raise StatementError(
            _("This %(message)s holds no statement, report or notification.") % {"message": message}
        )
    lines: list[StatementLine] = []
    entry_number = 0
    for report in reports:
        account = iban(read.text(report, "Acct/Id/IBAN")) or read.text(report, "Acct/Id/Othr/Id")
        fallback_day = _day(read.text(report, "FrToDt/ToDtTm", "CreDtTm")[:10], entry=0)
        for entry in read.all(report, "Ntry"):
            entry_number += 1
            lines.extend(
                _transactions(
                    read,
                    entry,
                    entry=entry_number,
                    first_line=len(lines) + 1,
                    account=account,
                    fallback_day=fallback_day,
                )
            )
    return message, lines


def _day(text: str, *, entry: int) -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise StatementError(
            _("Entry %(line)d: “%(value)s” is not a date.") % {"line": entry, "value": text[:40]},
            line=entry,
        ) from None


def _amount(read: _Reader, element: Element | None, *, entry: int) -> tuple[Decimal, str] | None:
    """An amount and its currency, or None; a negative amount refuses the file."""
    if element is None:
        return None
    text = element.text or ""
    value = parse_decimal(text, line=entry, entry=True)
    if value < 0 or text.strip().startswith("-"):
        raise StatementError(
            _("Entry %(line)d: an amount of “%(value)s” is not an amount the bank booked.")
            % {"line": entry, "value": text.strip()[:40]},
            line=entry,
            code="invalid_amount",
        )
    if value != value.quantize(CENT):
        raise StatementError(
            _("Entry %(line)d: “%(value)s” has more than two decimals.")
            % {"line": entry, "value": text.strip()[:40]},
            line=entry,
        )
    value = value.quantize(CENT)
    currency = (element.get("Ccy") or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise StatementError(_("Entry %(line)d has no currency.") % {"line": entry}, line=entry)
    return value, currency


def _transactions(read, node, *, entry: int, first_line, account, fallback_day):
    """The transactions of one entry: one per transaction detail, or the entry alone."""
    booked = _amount(read, read.one(node, "Amt"), entry=entry)
    if booked is None:
        raise StatementError(_("Entry %(line)d has no amount.") % {"line": entry}, line=entry)
    details = read.all(node, "NtryDtls/TxDtls")
    status = read.text(node, "Sts/Cd", "Sts/Prtry", "Sts").upper()
    day = _day(read.text(node, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"), entry=entry)
    common = {
        "entry": entry,
        "account": account,
        "status": status or "BOOK",
        "booked_on": day or fallback_day,
        "bank_reference": single_line(read.text(node, "AcctSvcrRef", "NtryRef"), 200),
        "reversal": read.text(node, "RvslInd").lower() in ("true", "1"),
        "entry_label": read.text(node, "AddtlNtryInf"),
        "entry_family": read.text(node, "BkTxCd/Domn/Fmly/SubFmlyCd"),
        # A collection booked as one entry: the batch it is (payment information or
        # message id of the file sent), the reference of a line without its details.
        "batch_reference": read.text(node, "NtryDtls/Btch/PmtInfId", "NtryDtls/Btch/MsgId"),
    }
    if common["booked_on"] is None:
        raise StatementError(_("Entry %(line)d has no date.") % {"line": entry}, line=entry)
    if len(details) <= 1:
        direction = read.text(node, "CdtDbtInd")
        detail = details[0] if details else None
        return [_line(read, detail, first_line, booked, direction, batch=False, **common)]
    return [
        _line(
            read,
            detail,
            first_line + index,
            _batch_amount(read, detail, booked[1], entry=entry),
            read.text(detail, "CdtDbtInd") or read.text(node, "CdtDbtInd"),
            batch=True,
            **common,
        )
        for index, detail in enumerate(details)
    ]


def _batch_amount(read, detail, currency: str, *, entry: int) -> tuple[Decimal | None, str]:
    """A batch transaction's own amount in the account's currency: its amount, the
    transaction amount or the counter value, whichever is in that currency."""
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"):
        found = _amount(read, read.one(detail, path), entry=entry)
        if found is not None and found[1] == currency:
            return found
    return None, currency


def _instructed(read, detail, booked: tuple, *, entry: int) -> tuple[Decimal | None, str]:
    """What the payer instructed, when it differs from what was booked."""
    for path in ("AmtDtls/InstdAmt/Amt", "Amt", "AmtDtls/TxAmt/Amt"):
        found = _amount(read, read.one(detail, path), entry=entry)
        if found is not None and found != booked:
            return found
    return None, ""


def _line(read, detail, number, booked, direction, *, batch, **common) -> StatementLine:
    entry = common["entry"]
    amount, currency = booked
    instructed, instructed_currency = _instructed(read, detail, booked, entry=entry)
    texts = [e.text.strip() for e in read.all(detail, "RmtInf/Ustrd") if (e.text or "").strip()]
    structured = read.text(detail, "RmtInf/Strd/CdtrRefInf/Ref")
    label = " ".join(part for part in (*texts, structured) if part)
    label = label or read.text(detail, "AddtlTxInf")
    end_to_end = read.text(detail, "Refs/EndToEndId")
    payer = read.text(detail, "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm")
    skip, why = _fate(read, detail, amount, direction, **common)
    references = [
        read.text(detail, f"Refs/{name}")
        for name in ("AcctSvcrRef", "TxId", "InstrId", "EndToEndId", "MndtId", "UETR")
    ]
    return StatementLine(
        line=number,
        entry=entry,
        booked_on=common["booked_on"],
        amount=(amount or Decimal(0)) * (-1 if direction == "DBIT" else 1),
        currency=currency,
        instructed_amount=instructed,
        instructed_currency=instructed_currency,
        label=single_line(label or common["entry_label"], 500),
        reference=_reference(end_to_end, detail, common["batch_reference"]),
        debtor_name=single_line(payer, 200),
        debtor_iban=iban(read.text(detail, "RltdPties/DbtrAcct/Id/IBAN")),
        bank_reference=common["bank_reference"],
        skip=skip,
        skip_detail=single_line(why, 200),
        identity=(
            "camt",
            common["account"],
            common["booked_on"].isoformat(),
            direction,
            str(amount),
            currency,
            common["status"],
            common["bank_reference"],
            *references,
            label,
            payer,
            "batch" if batch else "",
        ),
    )


def _reference(end_to_end: str, detail, batch_reference: str) -> str:
    """The transaction's end-to-end id; for an entry without details, its batch's id."""
    if end_to_end and end_to_end != "NOTPROVIDED":
        return single_line(end_to_end, 140)
    return single_line(batch_reference, 140) if detail is None else ""


def _fate(read, detail, amount, direction, **common) -> tuple[str, str]:
    """Why the transaction is not money to match ("" when it is), and the bank's words."""
    returned = read.one(detail, "RtrInf")
    family = read.text(detail, "BkTxCd/Domn/Fmly/SubFmlyCd") or common["entry_family"]
    if returned is not None or family in RETURN_FAMILIES:
        reason = read.text(returned, "Rsn/Cd", "Rsn/Prtry")
        more = " ".join(e.text.strip() for e in read.all(returned, "AddtlInf") if e.text)
        return Skip.RETURN, " ".join(part for part in (reason, more) if part) or family
    if common["reversal"]:
        return Skip.REVERSAL, ""
    if common["status"] not in ("BOOK", ""):
        return Skip.NOT_BOOKED, common["status"]
    if direction != "CRDT":
        return Skip.DEBIT, ""
    if amount is None:
        return Skip.NO_BOOKED_AMOUNT, ""
    if amount == 0:
        return Skip.NOTHING, ""
    return "", ""
