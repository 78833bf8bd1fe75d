"""Any upload with any parameters thrown at the bank statement import, on the page and
through the API: never a 5xx, and a refusal writes nothing (no statement, no line, no
saved columns, no audit row).

The files are mostly near-misses of real ones (a CSV with the columns asked for, a
camt.053 built as banks write it) whose every field is fuzzed, so the runs reach the
reading of each line rather than stopping at the first byte.
"""

import os
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from facturier.firms.models import AuditEvent
from facturier.receivables.models import BankStatement, CsvMapping, StatementLine
from tests.receivables.camt import document, entry, ntry, statement, tx

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXT = st.text(max_size=40)
COLUMNS = ("Date", "Libellé", "Montant", "Référence")
COLUMN = st.one_of(st.sampled_from(COLUMNS), TEXT)
GOOD_AMOUNT = st.sampled_from(["120,00", "120.00", "0,01", "45", "-3,00"])
AMOUNT = st.one_of(
    GOOD_AMOUNT,
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.sampled_from(
        ["-0", "0,00", "-100.00", "1 250,50", "1e999999", "1E-999999", "10.005", "١٢", "9" * 30]
    ),
    TEXT,
)
GOOD_DAY = st.dates().map(lambda day: day.strftime("%d/%m/%Y"))
DAY = st.one_of(
    GOOD_DAY,
    st.sampled_from(["20/11/2026", "2026-11-20", "31/02/2026", "00/00/0000", "2026-13-45"]),
    TEXT,
)
DATE_FORMAT = st.one_of(
    st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%Y%Y", "%", "%d/%m", "%q", "%A", ""]),
    st.text(max_size=20),
)
CAMT052 = "urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"
DTD = '<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
NAMESPACE = st.sampled_from(
    [
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
        CAMT052,
        "urn:example",
        None,
    ]
)


@st.composite
def csv_files(draw) -> bytes:
    separator = draw(st.sampled_from([";", ",", "\t", "|"]))
    row = st.one_of(
        st.tuples(GOOD_DAY, TEXT, GOOD_AMOUNT, TEXT), st.tuples(DAY, TEXT, AMOUNT, TEXT)
    )
    rows = [list(COLUMNS)] + draw(st.lists(row.map(list), max_size=5))
    text = "\n".join(separator.join(row) for row in rows)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", "cp1252", "utf-16"])), "replace")


@st.composite
def camt_files(draw) -> bytes:
    entries = draw(
        st.lists(
            st.builds(
                entry,
                st.one_of(AMOUNT.map(escape), st.just("120.00")),
                credit=st.booleans(),
                day=DAY.map(escape),
                text=TEXT,
                bank_ref=TEXT,
            ),
            max_size=4,
        )
    )
    return statement(
        *entries,
        namespace=draw(NAMESPACE),
        encoding=draw(st.sampled_from(["UTF-8", "UTF-16", "UTF-16LE"])),
        doctype=draw(st.sampled_from(["", DTD, '<!DOCTYPE Document [<!ENTITY x "y">]>'])),
    )


CURRENCY = st.sampled_from(["EUR", "GBP", "usd", "", "EURO"])
MONEY = st.tuples(st.one_of(st.just("120.00"), AMOUNT.map(escape)), CURRENCY)


@st.composite
def camt_batches(draw) -> bytes:
    """camt.052, .053 or .054 documents of batch entries: each transaction's amounts
    in any currency, returns, reversals, statuses."""
    details = st.builds(
        tx,
        st.one_of(st.none(), MONEY),
        credit=st.one_of(st.none(), st.booleans()),
        end_to_end=TEXT,
        text=TEXT,
        instructed=st.one_of(st.none(), MONEY),
        counter_value=st.one_of(st.none(), MONEY),
        returned=st.sampled_from(["", "AC04", "MD06"]),
        party=st.booleans(),
    )
    entries = st.builds(
        ntry,
        st.one_of(st.just("120.00"), AMOUNT.map(escape)),
        *[details] * draw(st.integers(0, 3)),
        currency=st.sampled_from(["EUR", "GBP"]),
        credit=st.booleans(),
        day=st.one_of(st.just("2026-11-20"), DAY.map(escape)),
        bank_ref=TEXT.map(escape),
        status=st.sampled_from(["BOOK", "PDNG", "INFO"]),
        coded_status=st.booleans(),
        reversal=st.booleans(),
        batch=st.one_of(st.none(), st.integers(0, 5)),
        family=st.sampled_from(["ESCT", "RRTN", "UPDD"]),
    )
    return document(
        *draw(st.lists(entries, max_size=3)),
        message=draw(st.sampled_from(["camt.053", "camt.052", "camt.054"])),
        version=draw(st.sampled_from(["02", "08", "13", "14"])),
    )


@st.composite
def mt940_files(draw) -> bytes:
    """MT940 statements: :61: lines of any sign, date and amount, with their :86: text."""
    fields = [":20:RELEVE", ":25:30004000/0123456789", ":28C:1/1", ":60F:C261119EUR1000,00"]
    for _n in range(draw(st.integers(0, 3))):
        day = draw(st.one_of(st.just("2611201120"), st.text("0123456789", max_size=10)))
        mark = draw(st.sampled_from(["C", "D", "RC", "RD", "X"]))
        amount = draw(st.one_of(st.just("120,00"), AMOUNT))
        fields += [f":61:{day}{mark}{amount}NTRFNONREF//REF", ":86:" + draw(TEXT)]
    text = "\n".join([*fields, ":62F:C261120EUR1000,00", "-"])
    return text.encode(draw(st.sampled_from(["utf-8", "cp1252"])), "replace")


# Mostly files that could be read, so that runs reach the lines and their proposals.
CONTENT = st.one_of(
    csv_files(),
    csv_files(),
    camt_files(),
    camt_batches(),
    mt940_files(),
    st.binary(max_size=300),
)
OPTIONAL = {
    "reference": COLUMN,
    "decimal_comma": st.one_of(st.sampled_from(["true", "false"]), TEXT),
}
# Half the time the columns the CSV files have, so that their lines are read.
PARAMETERS = st.one_of(
    st.fixed_dictionaries(
        {
            "format": st.sampled_from(["auto", "csv", "auto", "camt053", "camt054", "mt940"]),
            "date": st.just("Date"),
            "amount": st.just("Montant"),
            "label": st.just("Libellé"),
            "date_format": st.one_of(st.just("%d/%m/%Y"), DATE_FORMAT),
        },
        optional=OPTIONAL,
    ),
    st.fixed_dictionaries(
        {
            "format": st.one_of(st.sampled_from(["auto", "csv", "camt053", "mt940"]), TEXT),
            "date": COLUMN,
            "amount": COLUMN,
            "label": COLUMN,
            "date_format": DATE_FORMAT,
        },
        optional=OPTIONAL,
    ),
)


def _uploadable(name: str) -> bool:
    """A name a browser can send: Django's test client refuses the others itself."""
    from django.core.exceptions import SuspiciousFileOperation
    from django.core.files.utils import validate_file_name

    try:
        validate_file_name(os.path.basename(name))
    except SuspiciousFileOperation:
        return False
    return True


FILENAME = st.one_of(
    st.sampled_from(["releve.csv", "camt.xml"]),
    st.text(min_size=1, max_size=80).filter(_uploadable),
)


def state() -> tuple:
    """What a refusal must leave as it was."""
    return (
        BankStatement.objects.count(),
        StatementLine.objects.count(),
        AuditEvent.objects.count(),
        list(CsvMapping.objects.values()),
    )


@pytest.fixture
def browser(client, alice):
    client.force_login(type(alice).objects.get(pk=alice.pk))
    return client


GOOD_CSV = "Date;Libellé;Montant\n20/11/2026;VIR CLIENT;120,00\n".encode()
GOOD_PARAMETERS = {
    "format": "auto",
    "date": "Date",
    "amount": "Montant",
    "label": "Libellé",
    "date_format": "%d/%m/%Y",
    "decimal_comma": "true",
}

# The shapes once answered by a crash or read as what they are not, always tried.
KNOWN = [
    (GOOD_CSV, GOOD_PARAMETERS),
    (GOOD_CSV, {**GOOD_PARAMETERS, "date_format": "%Y%Y"}),
    (GOOD_CSV, {**GOOD_PARAMETERS, "date_format": "%d/%m"}),
    (
        statement(entry("10.00", text="&x;"), encoding="UTF-16", doctype=DTD),
        {**GOOD_PARAMETERS, "format": "camt053"},
    ),
    (statement(entry("10.00"), namespace=CAMT052), GOOD_PARAMETERS),
    (statement(entry("10.00"), namespace=None), GOOD_PARAMETERS),
    (statement(entry("-100.00")), GOOD_PARAMETERS),
]


def known(test):
    for content, parameters in KNOWN:
        test = example(content=content, parameters=parameters, filename="releve")(test)
    return test


@FUZZ
@given(content=CONTENT, parameters=PARAMETERS, filename=FILENAME)
@known
def test_the_import_page(browser, content, parameters, filename):
    before = state()
    response = browser.post(
        reverse("billing:statement_import"),
        {"file": SimpleUploadedFile(filename, content), **parameters},
    )
    event(f"page answers {response.status_code}")
    assert response.status_code < 500
    if response.status_code != 302 or "/statements/" not in response["Location"]:
        assert state() == before


@FUZZ
@given(content=CONTENT, parameters=PARAMETERS, filename=FILENAME)
@known
def test_the_import_api(api, content, parameters, filename):
    before = state()
    response = api.post(
        "/api/v1/statements/",
        {"file": SimpleUploadedFile(filename, content), **parameters},
        format="multipart",
    )
    event(f"API answers {response.status_code} {response.json().get('codes')}")
    assert response.status_code < 500, response.content[:500]
    if response.status_code != 201:
        assert state() == before
    else:
        assert state()[0] == before[0] + 1
