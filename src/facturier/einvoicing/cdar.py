"""Lifecycle messages (CDAR, UN/CEFACT Cross Domain Acknowledgement And Response, as
the French CTC uses them): the status of an invoice, its date and reason.

We write one kind (the "Encaissée" status a seller sends for a paid invoice of
services) and read the statuses the platform sends back. Only what those carry is
handled here: the referenced invoice, its status code, the date and the reason.
"""

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from facturier.invoicing.documents.xml import subelement_maker

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"


@dataclass(frozen=True)
class StatusMessage:
    invoice_number: str
    code: str
    at: datetime.datetime
    reason: str = ""
    reason_code: str = ""  # from the French list (AUTRE, DOUBLON, CMD_ERR, ...)


@dataclass(frozen=True)
class Party:
    """A party of a status message: its name, its identifier with the identifier's own
    scheme (ISO 6523: 0002 for a SIREN), none when it has no scheme we know, and where
    it receives lifecycle messages (an electronic address, scheme and identifier)."""

    name: str
    global_id: tuple[str, str] | None = None  # (scheme, identifier)
    address: tuple[str, str] | None = None


def siren_party(name: str, siren: str, address: tuple[str, str] | None = None) -> Party:
    return Party(name, ("0002", siren) if siren else None, address)


@dataclass(frozen=True)
class Collected:
    """What a "collected" (212) status states: an amount received at one VAT rate."""

    amount: str
    rate: str
    currency: str


# Statuses that must say why, with a reason code (BR-FR-CDV-15), and the code each
# takes when none is given: one on the status's own list (BR-FR-CDV-CL-09).
DEFAULT_REASON = {
    "206": "AUTRE",
    "207": "AUTRE",
    "208": "JUSTIF_ABS",
    "210": "NON_CONFORME",
    "213": "REJ_SEMAN",
    "501": "AUTRE",
}
NEED_A_REASON = frozenset(DEFAULT_REASON)


_sub = subelement_maker(NS)


# The phase a status belongs to (MDT-77): the platforms' transmission statuses (305,
# issued by a platform, role WK) or the parties' processing ones (23).
TRANSMISSION_STATUSES = frozenset({"200", "201", "213"})


def _party(parent, tag: str, party: Party, role: str) -> None:
    """A TradeParty, its children in the schema's order: GlobalID, Name, RoleCode, URI."""
    element = _sub(parent, tag)
    if party.global_id and party.global_id[1]:
        _sub(element, "ram:GlobalID", party.global_id[1], schemeID=party.global_id[0])
    if party.name:
        _sub(element, "ram:Name", party.name)
    _sub(element, "ram:RoleCode", role)
    if party.address:
        communication = _sub(element, "ram:URIUniversalCommunication")
        _sub(communication, "ram:URIID", party.address[1], schemeID=party.address[0])


def build(
    *,
    message_id: str,
    status: StatusMessage,
    invoice_date: datetime.date,
    issuer: Party,
    recipient: Party,
    issuer_role: str = "SE",
    recipient_role: str = "BY",
    process: str = "REGULATED",
    collected: Sequence[Collected] = (),
) -> bytes:
    """One status of one invoice, issued by `issuer` for `recipient`, in the element
    order of the CDAR D22B schema (every sequence there is ordered: schemas/cdar). The
    sender is the platform that carries it (role WK), as the AFNOR examples have it. A
    "collected" status (212) states what was received per VAT rate, in its currency."""
    if status.code == "212" and not collected:
        raise ValueError("a collected status states what was collected (BR-FR-CDV-14)")
    phase = "305" if status.code in TRANSMISSION_STATUSES else "23"
    if phase == "305":
        issuer_role = "WK"
    root = etree.Element(f"{{{NS['rsm']}}}CrossDomainAcknowledgementAndResponse", nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", process)
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)
    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", message_id)
    _sub(document, "ram:TypeCode", "23")
    issued = _sub(document, "ram:IssueDateTime")
    _sub(issued, "udt:DateTimeString", status.at.strftime("%Y%m%d%H%M%S"), format="204")
    _party(document, "ram:SenderTradeParty", Party(""), "WK")
    _party(document, "ram:IssuerTradeParty", issuer, issuer_role)
    _party(document, "ram:RecipientTradeParty", recipient, recipient_role)
    _acknowledgement(root, status, phase, invoice_date, collected)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _acknowledgement(root, status: StatusMessage, phase: str, invoice_date, collected) -> None:
    """The status itself: which invoice, its code, and its reason or what was collected.
    In a referenced document the invoice's date comes before the status code."""
    acknowledgement = _sub(root, "rsm:AcknowledgementDocument")
    _sub(_sub(acknowledgement, "ram:MultipleReferencesIndicator"), "udt:Indicator", "false")
    _sub(acknowledgement, "ram:TypeCode", phase)
    ack_issued = _sub(acknowledgement, "ram:IssueDateTime")
    _sub(ack_issued, "udt:DateTimeString", status.at.strftime("%Y%m%d%H%M%S"), format="204")
    reference = _sub(acknowledgement, "ram:ReferenceReferencedDocument")
    _sub(reference, "ram:IssuerAssignedID", status.invoice_number)
    formatted = _sub(reference, "ram:FormattedIssueDateTime")
    _sub(formatted, "qdt:DateTimeString", invoice_date.strftime("%Y%m%d"), format="102")
    _sub(reference, "ram:ProcessConditionCode", status.code)
    reason_code = status.reason_code or DEFAULT_REASON.get(status.code, "")
    if status.reason or reason_code or collected:
        # ReasonCode, Reason, then SequenceNumeric, then the characteristics.
        document_status = _sub(reference, "ram:SpecifiedDocumentStatus")
        if reason_code:
            _sub(document_status, "ram:ReasonCode", reason_code)
        if status.reason:
            _sub(document_status, "ram:Reason", status.reason)
        _sub(document_status, "ram:SequenceNumeric", "1")
        for item in collected:
            characteristic = _sub(document_status, "ram:SpecifiedDocumentCharacteristic")
            _sub(characteristic, "ram:TypeCode", "MEN")
            _sub(characteristic, "ram:ValueAmount", item.amount, currencyID=item.currency)
            _sub(characteristic, "ram:ValuePercent", item.rate)


SCHEMA = Path(__file__).parent / "schemas" / "cdar" / "message.xsd"


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def schema_errors(xml: bytes) -> list[str]:
    """Where a lifecycle message departs from the CDAR D22B schema, as far as the
    elements we write go (schemas/cdar): empty when it follows it."""
    schema = _schema()
    try:
        valid = schema.validate(etree.fromstring(xml, parser=_PARSER))
    except etree.XMLSyntaxError as exc:
        return [str(exc)]
    return [] if valid else [f"line {e.line}: {e.message}" for e in schema.error_log]


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class Unreadable(ValueError):
    """Not a lifecycle message we can read."""


def parse(xml: bytes) -> list[StatusMessage]:
    """The statuses a CDAR message reports (one per referenced invoice)."""
    try:
        root = etree.fromstring(
            xml, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as exc:
        raise Unreadable(str(exc)) from None
    if root.tag != f"{{{NS['rsm']}}}CrossDomainAcknowledgementAndResponse":
        raise Unreadable(root.tag)
    found = []
    for acknowledgement in root.iterfind("rsm:AcknowledgementDocument", NS):
        stamp = acknowledgement.findtext("ram:IssueDateTime/udt:DateTimeString", namespaces=NS)
        at = _datetime(
            stamp or root.findtext(".//ram:IssueDateTime/udt:DateTimeString", namespaces=NS)
        )
        for reference in acknowledgement.iterfind("ram:ReferenceReferencedDocument", NS):
            number = reference.findtext("ram:IssuerAssignedID", namespaces=NS)
            code = reference.findtext("ram:ProcessConditionCode", namespaces=NS)
            if not number or not code:
                raise Unreadable("a status without its invoice or code")
            reasons = [
                " ".join(text.split())
                for text in reference.xpath(
                    ".//ram:SpecifiedDocumentStatus/ram:Reason/text()", namespaces=NS
                )
            ]
            found.append(StatusMessage(number.strip(), code.strip(), at, " ".join(reasons)))
    return found


def _datetime(text: str | None) -> datetime.datetime:
    try:
        value = datetime.datetime.strptime((text or "").strip()[:14], "%Y%m%d%H%M%S")
    except ValueError:
        try:
            value = datetime.datetime.strptime((text or "").strip()[:8], "%Y%m%d")
        except ValueError:
            raise Unreadable(f"date {text!r}") from None
    return value.replace(tzinfo=datetime.UTC)
