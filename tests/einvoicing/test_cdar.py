"""Every lifecycle message we build follows the CDAR D22B schema: its elements in the
schema's order and cardinality (schemas/cdar, the part of D22B our messages use), for
each status code, with a reason, and with what was collected in any currency."""

import datetime

import pytest
from lxml import etree

from facturier.einvoicing import cdar
from facturier.einvoicing.models import Lifecycle
from facturier.einvoicing.platform_outbox import buyer_global_id

AT = datetime.datetime(2026, 9, 1, 10, 30, tzinfo=datetime.UTC)
SELLER = cdar.siren_party("Cabinet Martin", "123456782")
BUYER = cdar.siren_party("Dupont SA", "552100554", ("0225", "552100554"))


def message(code: str, *, reason: str = "", collected=(), recipient=BUYER) -> bytes:
    return cdar.build(
        message_id="fct-1-2-paid",
        status=cdar.StatusMessage("F2026-0042", code, AT, reason),
        invoice_date=datetime.date(2026, 8, 14),
        issuer=SELLER,
        recipient=recipient,
        collected=collected,
    )


def children(element) -> list[str]:
    return [etree.QName(child).localname for child in element]


@pytest.mark.parametrize("code", Lifecycle.values)
def test_each_status_follows_the_schema_and_reads_back(code):
    reason = "Prestation non commandée" if code in cdar.NEED_A_REASON else ""
    collected = [cdar.Collected("100.00", "20.00", "EUR")] if code == "212" else []
    xml = message(code, reason=reason, collected=collected)
    assert cdar.schema_errors(xml) == []
    (status,) = cdar.parse(xml)
    assert (status.invoice_number, status.code, status.at, status.reason) == (
        "F2026-0042",
        code,
        AT,
        reason,
    )


def test_the_invoice_date_comes_before_the_status_code():
    reference = etree.fromstring(message("205")).find(".//ram:ReferenceReferencedDocument", cdar.NS)
    assert children(reference) == [
        "IssuerAssignedID",
        "FormattedIssueDateTime",
        "ProcessConditionCode",
    ]


def test_the_schema_refuses_what_d22b_refuses():
    """The schema is no formality: elements out of order, a required one missing, an
    amount that is no number are each refused."""
    tree = etree.fromstring(message("207", reason="Quantité erronée"))
    reference = tree.find(".//ram:ReferenceReferencedDocument", cdar.NS)
    code = reference.find("ram:ProcessConditionCode", cdar.NS)
    reference.remove(code)
    reference.insert(1, code)  # the status code before the invoice's date
    assert "FormattedIssueDateTime" in " ".join(cdar.schema_errors(etree.tostring(tree)))

    tree = etree.fromstring(message("207", reason="Quantité erronée"))
    status = tree.find(".//ram:SpecifiedDocumentStatus", cdar.NS)
    sequence = status.find("ram:SequenceNumeric", cdar.NS)
    status.remove(sequence)
    status.insert(0, sequence)  # the detail's number before its reason
    assert cdar.schema_errors(etree.tostring(tree))

    tree = etree.fromstring(message("205"))
    document = tree.find("rsm:ExchangedDocument", cdar.NS)
    document.remove(document.find("ram:RecipientTradeParty", cdar.NS))
    assert "RecipientTradeParty" in " ".join(cdar.schema_errors(etree.tostring(tree)))

    xml = message("212", collected=[cdar.Collected("12,50", "20.00", "EUR")])
    assert "decimal" in " ".join(cdar.schema_errors(xml))


@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP"])
def test_what_was_collected_carries_its_currency(currency):
    collected = [
        cdar.Collected("480.00", "20.00", currency),
        cdar.Collected("220.00", "10.00", currency),
    ]
    xml = message("212", collected=collected)
    assert cdar.schema_errors(xml) == []
    amounts = etree.fromstring(xml).findall(".//ram:ValueAmount", cdar.NS)
    assert [(a.text, a.get("currencyID")) for a in amounts] == [
        ("480.00", currency),
        ("220.00", currency),
    ]
    status = etree.fromstring(xml).find(".//ram:SpecifiedDocumentStatus", cdar.NS)
    assert children(status) == ["SequenceNumeric"] + ["SpecifiedDocumentCharacteristic"] * 2


def test_a_reason_comes_before_the_details_number():
    xml = message("210", reason="Prestation non commandée")
    status = etree.fromstring(xml).find(".//ram:SpecifiedDocumentStatus", cdar.NS)
    assert children(status) == ["ReasonCode", "Reason", "SequenceNumeric"]
    # A refusal's default reason is on the refusal's own list (BR-FR-CDV-CL-09).
    assert status.findtext("ram:ReasonCode", namespaces=cdar.NS) == "NON_CONFORME"


def test_the_sender_is_the_platform_and_the_issuer_the_seller():
    document = etree.fromstring(message("205")).find("rsm:ExchangedDocument", cdar.NS)
    sender = document.find("ram:SenderTradeParty", cdar.NS)
    assert children(sender) == ["RoleCode"] and sender[0].text == "WK"
    issuer = document.find("ram:IssuerTradeParty", cdar.NS)
    assert children(issuer) == ["GlobalID", "Name", "RoleCode"]
    assert (issuer[0].get("schemeID"), issuer[0].text) == ("0002", "123456782")


@pytest.mark.parametrize(
    ("buyer", "expected"),
    [
        ({"country": "FR", "company_id": "55210055400013"}, ("0002", "552100554")),
        ({"country": "BE", "company_id": "0403.170.701"}, ("0208", "0403170701")),
        ({"country": "FI", "company_id": "0112038-9"}, ("0212", "01120389")),
        ({"country": "DE", "company_id": "HRB 86891"}, None),
        ({"country": "US", "company_id": "04-3458712"}, None),
        ({"country": "GB", "company_id": ""}, None),
    ],
)
def test_a_buyers_id_goes_with_its_own_scheme_or_none(buyer, expected):
    assert buyer_global_id(buyer) == expected


def test_a_foreign_buyers_id_is_neither_a_siren_nor_cut():
    recipient = cdar.Party("Brussels SA", ("0208", "0403170701"), ("9925", "BE0403170701"))
    xml = message("212", recipient=recipient, collected=[cdar.Collected("10.00", "0", "EUR")])
    assert cdar.schema_errors(xml) == []
    party = etree.fromstring(xml).find(".//ram:RecipientTradeParty", cdar.NS)
    global_id = party.find("ram:GlobalID", cdar.NS)
    assert (global_id.get("schemeID"), global_id.text) == ("0208", "0403170701")
    without = cdar.Party("Berlin GmbH", None, ("9930", "DE136695976"))
    party = etree.fromstring(message("205", recipient=without)).find(
        ".//ram:RecipientTradeParty", cdar.NS
    )
    assert children(party) == ["Name", "RoleCode", "URIUniversalCommunication"]
