"""Bank files that are not what they claim are refused with a stable code, in the
action, the page and the API, and nothing is written: a DTD in any encoding, another
message than a camt.053, camt.052 or camt.054 (no namespace, an unknown one or
version), a negative amount, a date format that cannot read a date."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from facturier.core.errors import Invalid
from facturier.firms.models import AuditEvent
from facturier.receivables import actions
from facturier.receivables.camt import VERSIONS
from facturier.receivables.models import BankStatement, CsvMapping, StatementLine
from tests.receivables.camt import entry, statement

pytestmark = pytest.mark.django_db

ISO = "urn:iso:std:iso:20022:tech:xsd:"
EXTERNAL = '<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<!DOCTYPE Document [<!ENTITY a "haha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
CSV = b"Date;Label;Amount\n20/11/2026;VIR A;10,00\n"
COLUMNS = {"date": "Date", "amount": "Amount", "label": "Label", "decimal_comma": True}


def refused(alice, data: bytes, **kwargs) -> Invalid:
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as refusal:
        actions.import_bank_statement(by=alice, data=data, **kwargs)
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()
    assert AuditEvent.objects.count() == before
    return refusal.value


@pytest.mark.parametrize("doctype", [EXTERNAL, LAUGHS])
@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16", "UTF-16LE", "UTF-16BE", "cp1252"])
@pytest.mark.parametrize("fmt", ["auto", "camt053"])
def test_a_dtd_is_refused_whatever_the_encoding(alice, doctype, encoding, fmt):
    data = statement(
        entry("10.00", text="&x;" if doctype == EXTERNAL else "&c;"),
        doctype=doctype,
        encoding=encoding,
    )
    refusal = refused(alice, data, fmt=fmt)
    assert refusal.codes == {"file": ["xml_entities"]}
    assert "entities" in refusal.errors["file"][0]


def test_an_encoding_the_parser_does_not_read_is_refused(alice):
    data = statement(entry("10.00"), encoding="UTF-16-LE", doctype=EXTERNAL)
    assert b"<\x00!\x00D\x00O\x00C" in data  # the DTD is there, in UTF-16
    assert refused(alice, data).codes == {"file": ["invalid_encoding"]}


def test_a_statement_in_utf16_without_a_dtd_is_read(alice):
    imported = actions.import_bank_statement(
        by=alice, data=statement(entry("10.00", text="VIR É"), encoding="UTF-16")
    )
    assert [(line.amount, line.label) for line in imported.lines.all()] == [
        (Decimal("10.00"), "VIR É")
    ]
    assert imported.format == "camt053"


@pytest.mark.parametrize(
    "namespace,shown",
    [
        (ISO + "camt.053.001.99", "camt.053.001.99"),
        (ISO + "camt.052.001.01", "camt.052.001.01"),
        (ISO + "camt.056.001.02", "camt.056.001.02"),
        ("urn:example:statement", "urn:example:statement"),
        (None, "—"),
    ],
)
@pytest.mark.parametrize("fmt", ["auto", "camt053"])
def test_only_a_camt_message_and_version_the_reader_reads_is_imported(alice, namespace, shown, fmt):
    refusal = refused(alice, statement(entry("10.00"), namespace=namespace), fmt=fmt)
    assert refusal.codes == {"file": ["unsupported_namespace"]}
    assert (
        shown in refusal.errors["file"][0]
        and "camt.053, camt.054 (001.02–001.13)" in refusal.errors["file"][0]
    )


def test_a_camt053_namespace_on_another_root_is_refused(alice):
    data = statement(entry("10.00")).replace(b"Document", b"Report")
    assert refused(alice, data).codes == {"file": ["unsupported_namespace"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_the_reader_reads_is_imported(alice, version):
    data = statement(entry("10.00", bank_ref=version), namespace=ISO + f"camt.053.001.{version}")
    assert actions.import_bank_statement(by=alice, data=data).lines.count() == 1


@pytest.mark.parametrize("amount", ["-100.00", "-0", "-0.00", "-0.01"])
def test_a_negative_amount_is_refused_naming_the_entry(alice, amount):
    data = statement(entry("5.00", bank_ref="OK"), entry(amount, bank_ref="BAD"))
    refusal = refused(alice, data)
    assert refusal.codes == {"file": ["invalid_amount"]}
    assert "Entry 2" in refusal.errors["file"][0] and amount in refusal.errors["file"][0]


@pytest.mark.parametrize(
    "amount,skip", [("-100,00", "debit"), ("-0", "nothing"), ("0,00", "nothing")]
)
def test_a_csv_line_of_zero_or_less_is_set_aside_with_its_reason(alice, amount, skip):
    data = CSV + f"21/11/2026;VIR B;{amount}\n".encode()
    imported = actions.import_bank_statement(by=alice, data=data, mapping=COLUMNS)
    assert [(line.amount, line.state, line.skip) for line in imported.lines.all()] == [
        (Decimal("10.00"), "proposed", ""),
        (Decimal(amount.replace(",", ".")), "skipped", skip),
    ]
    assert imported.summary()["transactions"] == 2


BAD_FORMATS = ["%Y%Y", "%", "%d/%m", "%Y", "%q", "%d/%m/%Y%", "%A", "x"]


@pytest.mark.parametrize("date_format", BAD_FORMATS)
def test_a_date_format_that_cannot_read_a_date_is_refused_beside_its_field(alice, date_format):
    refusal = refused(alice, CSV, fmt="csv", mapping={**COLUMNS, "date_format": date_format})
    assert refusal.codes == {"date_format": ["invalid_date_format"]}
    assert not CsvMapping.objects.exists()  # not saved for the next file either


def test_a_bad_date_format_saved_before_is_refused_not_a_crash(alice, firm):
    CsvMapping.objects.create(
        firm=firm,
        date="Date",
        amount="Amount",
        label="Label",
        date_format="%Y%Y",
        decimal_comma=True,
    )
    assert refused(alice, CSV, fmt="csv").codes == {"date_format": ["invalid_date_format"]}


@pytest.mark.parametrize("date_format", ["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%y", "%m/%d/%Y"])
def test_usual_date_formats_are_read(alice, date_format):
    import datetime

    day = datetime.date(2026, 11, 20).strftime(date_format)
    data = f"Date;Label;Amount\n{day};VIR A;10,00\n".encode()
    imported = actions.import_bank_statement(
        by=alice, data=data, mapping={**COLUMNS, "date_format": date_format}
    )
    assert imported.lines.get().booked_on == datetime.date(2026, 11, 20)


def _page(client, alice, data: bytes, **fields):
    client.force_login(type(alice).objects.get(pk=alice.pk))
    return client.post(
        reverse("billing:statement_import"),
        {
            "file": SimpleUploadedFile("releve.csv", data),
            "format": "auto",
            "date": "Date",
            "amount": "Amount",
            "label": "Label",
            "date_format": "%d/%m/%Y",
            "decimal_comma": "on",
            **fields,
        },
    )


def test_the_page_shows_the_date_format_refusal_beside_the_field(client, alice):
    response = _page(client, alice, CSV, date_format="%Y%Y")
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["date_format"]
    assert "%Y%Y" in response.context["form"].errors["date_format"][0]


@pytest.mark.parametrize(
    "data,code",
    [
        (statement(entry("10.00"), encoding="UTF-16", doctype=EXTERNAL), "xml_entities"),
        (statement(entry("10.00"), namespace=ISO + "camt.029.001.02"), "unsupported_namespace"),
        (statement(entry("10.00"), namespace=None), "unsupported_namespace"),
        (statement(entry("-100.00")), "invalid_amount"),
    ],
)
def test_the_page_and_the_api_refuse_each_shape(client, api, alice, data, code):
    response = _page(client, alice, data)
    assert response.status_code == 422 and response.context["form"].errors["file"]
    answer = api.post(
        "/api/v1/statements/", {"file": SimpleUploadedFile("s.xml", data)}, format="multipart"
    )
    assert answer.status_code == 422 and answer.json()["codes"] == {"file": [code]}
    assert not BankStatement.objects.exists()


def test_the_api_names_the_date_format(api):
    answer = api.post(
        "/api/v1/statements/",
        {
            "file": SimpleUploadedFile("s.csv", CSV),
            "format": "csv",
            "date": "Date",
            "amount": "Amount",
            "label": "Label",
            "date_format": "%Y%Y",
        },
        format="multipart",
    )
    assert answer.status_code == 422
    assert answer.json()["codes"] == {"date_format": ["invalid_date_format"]}
