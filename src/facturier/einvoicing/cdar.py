"""Lifecycle messages (CDAR, UN/CEFACT Cross Domain Acknowledgement And Response, as
the French CTC uses them): the status of an invoice, its date and reason.

We write one kind (the "Encaissée" status a seller sends for a paid invoice of
services) and read the statuses the platform sends back. Only what those carry is
handled here: the referenced invoice, its status code, the date and the reason.
"""

import datetime
from dataclasses import dataclass

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


# Statuses that must say why, with a reason code (BR-FR-CDV-15).
NEED_A_REASON = frozenset({"206", "207", "208", "210", "213", "501"})


_sub = subelement_maker(NS)


# The phase a status belongs to (MDT-77): the platforms' transmission statuses (305,
# issued by a platform, role WK) or the parties' processing ones (23).
TRANSMISSION_STATUSES = frozenset({"200", "201", "213"})


def _party(parent, tag: str, name: str, siren: str, role: str, endpoint=None) -> None:
    party = _sub(parent, tag)
    if siren:
        _sub(party, "ram:GlobalID", siren, schemeID="0002")
    _sub(party, "ram:Name", name)
    _sub(party, "ram:RoleCode", role)
    if endpoint:
        communication = _sub(party, "ram:URIUniversalCommunication")
        _sub(communication, "ram:URIID", endpoint[1], schemeID=endpoint[0])


def build(
    *,
    message_id: str,
    status: StatusMessage,
    invoice_date: datetime.date,
    sender: tuple[str, str],
    recipient: tuple[str, str],
    sender_role: str = "SE",
    recipient_role: str = "BY",
    recipient_address: tuple[str, str] | None = None,
    process: str = "REGULATED",
    collected: list[tuple[str, str]] = (),
) -> bytes:
    """One status of one invoice, from `sender` (name, SIREN) to `recipient` (name,
    SIREN, at `recipient_address`, (scheme, id)). "Encaissée" (212) states what was
    collected per VAT rate, as (amount, rate)."""
    phase = "305" if status.code in TRANSMISSION_STATUSES else "23"
    if phase == "305":
        sender_role = "WK"
    root = etree.Element(f"{{{NS['rsm']}}}CrossDomainAcknowledgementAndResponse", nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", process)
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)
    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", message_id)
    _sub(document, "ram:TypeCode", "23")
    issued = _sub(document, "ram:IssueDateTime")
    _sub(issued, "udt:DateTimeString", status.at.strftime("%Y%m%d%H%M%S"), format="204")
    _party(document, "ram:SenderTradeParty", sender[0], sender[1], sender_role)
    _party(document, "ram:IssuerTradeParty", sender[0], sender[1], sender_role)
    _party(
        document,
        "ram:RecipientTradeParty",
        recipient[0],
        recipient[1],
        recipient_role,
        recipient_address,
    )
    _acknowledgement(root, status, phase, invoice_date, collected)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _acknowledgement(root, status: StatusMessage, phase: str, invoice_date, collected) -> None:
    """The status itself: which invoice, its code, and its reason or what was collected."""
    acknowledgement = _sub(root, "rsm:AcknowledgementDocument")
    _sub(_sub(acknowledgement, "ram:MultipleReferencesIndicator"), "udt:Indicator", "false")
    _sub(acknowledgement, "ram:TypeCode", phase)
    ack_issued = _sub(acknowledgement, "ram:IssueDateTime")
    _sub(ack_issued, "udt:DateTimeString", status.at.strftime("%Y%m%d%H%M%S"), format="204")
    reference = _sub(acknowledgement, "ram:ReferenceReferencedDocument")
    _sub(reference, "ram:IssuerAssignedID", status.invoice_number)
    _sub(reference, "ram:ProcessConditionCode", status.code)
    formatted = _sub(reference, "ram:FormattedIssueDateTime")
    _sub(formatted, "qdt:DateTimeString", invoice_date.strftime("%Y%m%d"), format="102")
    reason_code = status.reason_code or ("AUTRE" if status.code in NEED_A_REASON else "")
    if status.reason or reason_code or collected:
        document_status = _sub(reference, "ram:SpecifiedDocumentStatus")
        _sub(document_status, "ram:SequenceNumeric", "1")
        if reason_code:
            _sub(document_status, "ram:ReasonCode", reason_code)
        if status.reason:
            _sub(document_status, "ram:Reason", status.reason)
        for amount, rate in collected:
            characteristic = _sub(document_status, "ram:SpecifiedDocumentCharacteristic")
            _sub(characteristic, "ram:TypeCode", "MEN")
            _sub(characteristic, "ram:ValueAmount", amount)
            _sub(characteristic, "ram:ValuePercent", rate)


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
