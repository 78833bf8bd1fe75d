"""SEPA direct debit: settings, mandates, debits scheduled on invoices, the pain.008
batch, and every refusal with its stable code."""

import datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
import xmlschema
from django.utils import translation
from sepaxml import debit as sepaxml_debit

from facturier.core.errors import Invalid, InvalidTransition, NotAllowed, NotFound
from facturier.core.identifiers import creditor_id_is_valid
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing
from facturier.receivables import actions
from facturier.receivables.models import Debit, Mandate
from tests.conftest import LINE

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
SCHEMA = sepaxml_debit.__file__.replace("debit.py", "schemas/pain.008.001.02.xsd")
MANDATE = {
    "reference": "RUM-2026-001",
    "debtor_name": "Client SA",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
    "signed_on": TODAY - datetime.timedelta(days=10),
    "signed_at": "Paris",
    "recurrent": True,
    "scheme": "CORE",
}
SETTINGS = {
    "creditor_id": "FR72ZZZ123456",
    "iban": "FR14 2004 1010 0505 0001 3M02 606",
    "bic": "PSSTFRPPPAR",
    "prenotification_days": 14,
    "scheme": "CORE",
}


def codes(exc) -> dict:
    return exc.value.codes


@pytest.fixture
def settings_user(make_user, firm):
    from django.contrib.auth.models import Permission

    user = make_user("sam", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def sepa(settings_user, firm):
    return actions.save_sepa_settings(firm.pk, by=settings_user, fields=SETTINGS)


@pytest.fixture
def mandate(alice, client_entity):
    return actions.create_mandate(client_entity, by=alice, fields=MANDATE)


@pytest.fixture
def issue(make_draft, alice, template):
    def make(due_in=20, **fields):
        draft = make_draft(lines=[LINE], payment_terms_days=due_in, **fields)
        return invoicing.finalize_invoice(draft, by=alice)

    return make


# --- the creditor identifier --------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["FR72ZZZ123456", "fr72 zzz 123456", "DE98ZZZ09999999999", "ES59ZZZX1234567L"]
)
def test_known_creditor_identifiers_pass(value):
    assert creditor_id_is_valid(value)


@pytest.mark.parametrize("value", ["FR73ZZZ123456", "FR72ZZZ12345", "72FRZZZ123456", "FR72", ""])
def test_wrong_creditor_identifiers_fail(value):
    assert not creditor_id_is_valid(value)


# --- settings -------------------------------------------------------------------------


def test_settings_are_saved_normalised_and_audited(sepa, firm, settings_user):
    assert sepa.creditor_id == "FR72ZZZ123456"
    assert sepa.iban == "FR1420041010050500013M02606"
    assert sepa.prenotification_days == 14
    assert AuditEvent.objects.filter(action="sepa_settings.saved", actor=settings_user).exists()


def test_settings_refuse_a_wrong_ics_iban_and_bic_at_once(firm, settings_user):
    with pytest.raises(Invalid) as exc:
        actions.save_sepa_settings(
            firm.pk,
            by=settings_user,
            fields={**SETTINGS, "creditor_id": "FR73ZZZ123456", "iban": "FR76 1", "bic": "XX"},
        )
    assert codes(exc) == {
        "creditor_id": ["invalid_creditor_id"],
        "iban": ["invalid_iban"],
        "bic": ["invalid_bic"],
    }
    assert not firm.__class__.objects.get(pk=firm.pk).__dict__.get("sepa")


def test_settings_need_the_settings_right(firm, alice):
    with pytest.raises(NotAllowed):
        actions.save_sepa_settings(firm.pk, by=alice, fields=SETTINGS)


# --- mandates -------------------------------------------------------------------------


def test_a_signed_mandate_is_active_and_checked(mandate):
    assert mandate.status == "active"
    assert mandate.iban == "FR7630006000011234567890189"
    assert mandate.current_status(TODAY) == "active"


def test_a_mandate_without_signature_waits_for_it(alice, client_entity):
    mandate = actions.create_mandate(client_entity, by=alice, fields={**MANDATE, "signed_on": None})
    assert mandate.status == "pending"
    with pytest.raises(Invalid) as exc:
        actions.set_mandate_status(mandate, by=alice, status="active")
    assert codes(exc) == {"signed_on": ["required"]}
    mandate = actions.set_mandate_status(mandate, by=alice, status="active", signed_on=TODAY)
    assert mandate.status == "active" and mandate.signed_on == TODAY


@pytest.mark.parametrize(
    "fields, field, code",
    [
        ({"reference": "RUM#1"}, "reference", "invalid_reference"),
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "iban", "invalid_iban"),
        ({"bic": "NOPE"}, "bic", "invalid_bic"),
        ({"signed_on": TODAY + datetime.timedelta(days=1)}, "signed_on", "future"),
        ({"debtor_name": ""}, "debtor_name", "blank"),
    ],
)
def test_a_wrong_mandate_is_refused_with_its_code(alice, client_entity, fields, field, code):
    with pytest.raises(Invalid) as exc:
        actions.create_mandate(client_entity, by=alice, fields={**MANDATE, **fields})
    assert codes(exc)[field] == [code]
    assert not Mandate.objects.exists()


def test_a_mandate_reference_is_unique_in_the_firm(mandate, alice, client_entity):
    with pytest.raises(Invalid) as exc:
        actions.create_mandate(client_entity, by=alice, fields=MANDATE)
    assert codes(exc) == {"reference": ["duplicate"]}


def test_mandates_need_the_processing_permission(staff, client_entity):
    with pytest.raises(NotAllowed):
        actions.create_mandate(client_entity, by=staff["owner_only"], fields=MANDATE)


def test_a_revoked_mandate_stays_revoked(mandate, alice):
    actions.set_mandate_status(mandate, by=alice, status="revoked")
    with pytest.raises(InvalidTransition):
        actions.set_mandate_status(mandate, by=alice, status="active")


def test_a_mandate_lapses_after_36_months_without_collection(mandate):
    mandate.signed_on = datetime.date(2020, 3, 1)
    assert mandate.current_status(datetime.date(2023, 3, 1)) == "active"
    assert mandate.current_status(datetime.date(2023, 3, 2)) == "expired"
    mandate.last_collected_on = datetime.date(2022, 6, 1)
    assert mandate.current_status(datetime.date(2023, 3, 2)) == "active"


# --- debits ---------------------------------------------------------------------------


def test_an_invoice_is_scheduled_at_its_due_date_for_its_balance(mandate, issue, alice):
    invoice = issue()
    debit = actions.schedule_debit(invoice, by=alice)
    assert debit.due_date == invoice.due_date
    assert debit.amount == invoice.balance == Decimal("120.00")
    assert debit.mandate == mandate and debit.status == "scheduled"


def test_an_invoice_is_never_scheduled_twice(mandate, issue, alice):
    invoice = issue()
    actions.schedule_debit(invoice, by=alice)
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(invoice, by=alice, amount="10")
    assert codes(exc) == {"invoice": ["already_scheduled"]}
    assert Debit.objects.count() == 1


def test_the_database_itself_refuses_a_second_debit(mandate, issue, alice):
    from django.db import IntegrityError, transaction

    debit = actions.schedule_debit(issue(), by=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Debit.objects.create(
            firm=debit.firm,
            invoice=debit.invoice,
            mandate=mandate,
            due_date=debit.due_date,
            amount=Decimal("1"),
            scheduled_at=debit.scheduled_at,
        )


def test_a_debit_larger_than_the_balance_is_refused(mandate, issue, alice):
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(issue(), by=alice, amount="120.01")
    assert codes(exc) == {"amount": ["exceeds_balance"]}
    assert not Debit.objects.exists()


def test_a_paid_invoice_is_not_debited(mandate, issue, alice, client_entity):
    invoice = issue()
    actions.record_payment(
        by=alice,
        client=client_entity,
        amount=Decimal("120.00"),
        received_on=TODAY,
        allocations=[{"invoice": invoice.pk}],
    )
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(invoice, by=alice)
    assert codes(exc) == {"invoice": ["paid"]}


def test_a_credited_invoice_is_not_debited(mandate, issue, alice):
    invoice = issue()
    note = invoicing.create_credit_note(
        invoice, by=alice, amounts=[{"vat_rate": "20", "amount": "10"}]
    )
    invoicing.finalize_invoice(note, by=alice)
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(invoice, by=alice)
    assert codes(exc) == {"invoice": ["credited"]}


@pytest.mark.parametrize("status", ["suspended", "revoked"])
def test_no_debit_without_an_active_mandate(mandate, issue, alice, status):
    actions.set_mandate_status(mandate, by=alice, status=status)
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(issue(), by=alice)
    assert codes(exc) == {"mandate": ["no_active_mandate"]}


def test_no_debit_under_an_expired_mandate(mandate, issue, alice):
    Mandate.objects.filter(pk=mandate.pk).update(signed_on=TODAY.replace(year=TODAY.year - 4))
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(issue(), by=alice)
    assert codes(exc) == {"mandate": ["no_active_mandate"]}


def test_a_draft_is_not_debited(mandate, make_draft, alice):
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(make_draft(), by=alice)
    assert codes(exc) == {"invoice": ["not_finalized"]}


def test_debits_need_the_processing_permission(mandate, issue, staff, make_firm, make_user):
    invoice = issue()
    with pytest.raises(NotAllowed):
        actions.schedule_debit(invoice, by=staff["owner_only"])
    stranger = make_user("erin", make_firm("Autre cabinet"), processing=True)
    with pytest.raises(NotFound):
        actions.schedule_debit(invoice, by=stranger)
    assert not Debit.objects.exists()


# --- batches --------------------------------------------------------------------------


def sequence_types(xml: bytes) -> list[str]:
    root = ElementTree.fromstring(xml)
    return sorted(
        info.find("p:PmtTpInf/p:SeqTp", NS).text for info in root.iterfind(".//p:PmtInf", NS)
    )


def test_the_batch_is_a_valid_pain008_with_counts_and_sums(sepa, mandate, issue, alice):
    first, second = issue(due_in=10), issue(due_in=30)
    actions.schedule_debit(first, by=alice)
    actions.schedule_debit(second, by=alice, amount="50.00")
    batch = actions.export_debit_batch(by=alice)
    xml = bytes(batch.xml)
    xmlschema.XMLSchema(SCHEMA).validate(xml.decode())
    root = ElementTree.fromstring(xml)
    assert root.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", NS).text == "2"
    assert root.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", NS).text == "170.00"
    assert batch.count == 2 and batch.control_sum == Decimal("170.00")
    # the mandate's first collection is FRST, the next RCUR
    assert sequence_types(xml) == ["FRST", "RCUR"]
    creditor = root.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
    assert creditor == "FR72ZZZ123456"
    assert root.findtext(".//p:MndtId", namespaces=NS) == "RUM-2026-001"
    assert set(Debit.objects.values_list("status", flat=True)) == {"sent"}


def test_later_batches_collect_rcur_and_one_off_mandates_ooff(
    sepa, mandate, issue, alice, make_client, make_draft, make_user, firm
):
    actions.schedule_debit(issue(), by=alice)
    actions.export_debit_batch(by=alice)
    other = make_client(firm, "Autre SARL")
    olga = make_user("olga", firm, processing=True, owns=[other])
    actions.create_mandate(
        other, by=olga, fields={**MANDATE, "reference": "RUM-OOFF", "recurrent": False}
    )
    actions.schedule_debit(issue(due_in=40), by=alice)
    one_off = invoicing.finalize_invoice(make_draft(by=olga, client=other), by=olga)
    actions.schedule_debit(one_off, by=olga)
    batch = actions.export_debit_batch(by=alice)
    assert sequence_types(bytes(batch.xml)) == ["OOFF", "RCUR"]


def test_a_second_export_holds_nothing_and_says_so(sepa, mandate, issue, alice):
    actions.schedule_debit(issue(), by=alice)
    actions.export_debit_batch(by=alice)
    with pytest.raises(Invalid) as exc:
        actions.export_debit_batch(by=alice)
    assert codes(exc) == {"batch": ["nothing_due"]}
    assert "No scheduled debit" in exc.value.errors["batch"][0]


def test_an_exported_debit_is_locked(sepa, mandate, issue, alice):
    invoice = issue()
    actions.schedule_debit(invoice, by=alice)
    actions.export_debit_batch(by=alice)
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(invoice, by=alice)
    assert codes(exc) == {"invoice": ["already_scheduled"]}


def test_no_batch_without_the_creditor_settings(mandate, issue, alice):
    actions.schedule_debit(issue(), by=alice)
    with pytest.raises(Invalid) as exc:
        actions.export_debit_batch(by=alice)
    assert codes(exc) == {"batch": ["sepa_not_set_up"]}
    assert Debit.objects.get().status == "scheduled"


def test_batches_need_the_processing_permission(sepa, staff):
    with pytest.raises(NotAllowed):
        actions.export_debit_batch(by=staff["owner_only"])


def test_the_batch_is_a_pain008_001_08_when_the_bank_asks(
    sepa, settings_user, firm, mandate, issue, alice
):
    actions.save_sepa_settings(
        firm.pk, by=settings_user, fields={"pain_version": "pain.008.001.08"}
    )
    actions.schedule_debit(issue(), by=alice)
    xml = bytes(actions.export_debit_batch(by=alice).xml)
    xmlschema.XMLSchema(SCHEMA.replace("001.02", "001.08")).validate(xml.decode())
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
    root = ElementTree.fromstring(xml)
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.08}Document"
    # 001.08 names the banks' BIC "BICFI" where 001.02 says "BIC".
    assert root.findtext(".//p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=ns) == "PSSTFRPPPAR"
    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=ns) == "AGRIFRPP"
    assert root.find(".//p:FinInstnId/p:BIC", ns) is None
    assert root.findtext(".//p:MndtId", namespaces=ns) == "RUM-2026-001"
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=ns) == "1"


def test_the_default_batch_is_a_pain008_001_02_with_bic(sepa, mandate, issue, alice):
    assert sepa.pain_version == "pain.008.001.02"
    actions.schedule_debit(issue(), by=alice)
    root = ElementTree.fromstring(bytes(actions.export_debit_batch(by=alice).xml))
    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "AGRIFRPP"


def test_an_unknown_pain_version_is_refused(sepa, settings_user, firm):
    with pytest.raises(Invalid) as exc:
        actions.save_sepa_settings(
            firm.pk, by=settings_user, fields={"pain_version": "pain.008.001.99"}
        )
    assert codes(exc) == {"pain_version": ["invalid_choice"]}


def test_a_debit_larger_than_the_balance_says_the_balance_in_french(mandate, issue, alice):
    invoice = issue()
    with translation.override("fr"), pytest.raises(Invalid) as exc:
        actions.schedule_debit(invoice, by=alice, amount="120.01")
    assert exc.value.errors["amount"] == [
        f"Il reste 120,00\xa0€ à régler sur la facture {invoice.number}."
    ]
