"""E-reporting: a period's sales to private persons and money received on services,
built in the flow-10 layout (checked against its schema), queued once per period by the
worker, deposited with the platform and answered; a correction only when asked."""

import datetime
from decimal import Decimal

import pytest
from lxml import etree

from facturier.core.errors import DomainError
from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import ereporting, frr
from facturier.einvoicing.ereporting_outbox import REPORTS
from facturier.einvoicing.models import EReport, Platform
from facturier.invoicing import actions
from facturier.outbox import engine

D = datetime.date
TODAY = D(2026, 12, 6)


@pytest.mark.parametrize(
    ("day", "every", "period"),
    [
        (D(2028, 2, 25), ereporting.TEN_DAYS, (D(2028, 2, 21), D(2028, 2, 29))),
        (D(2026, 3, 10), ereporting.TEN_DAYS, (D(2026, 3, 1), D(2026, 3, 10))),
        (D(2026, 3, 11), ereporting.TEN_DAYS, (D(2026, 3, 11), D(2026, 3, 20))),
        (D(2026, 3, 31), ereporting.TEN_DAYS, (D(2026, 3, 21), D(2026, 3, 31))),
        (D(2026, 2, 14), ereporting.MONTH, (D(2026, 2, 1), D(2026, 2, 28))),
        (D(2026, 12, 6), ereporting.TWO_MONTHS, (D(2026, 11, 1), D(2026, 12, 31))),
        (D(2026, 2, 1), ereporting.TWO_MONTHS, (D(2026, 1, 1), D(2026, 2, 28))),
    ],
)
def test_the_periods_follow_the_regimes_rhythm(day, every, period):
    assert ereporting.period_of(day, every) == period


def test_periods_run_back_to_back():
    found = list(ereporting.periods(D(2026, 1, 15), D(2026, 3, 2), ereporting.TEN_DAYS))
    assert found[0] == (D(2026, 1, 11), D(2026, 1, 20)) and found[-1][0] == D(2026, 3, 1)
    assert all(
        a[1] + datetime.timedelta(days=1) == b[0] for a, b in zip(found, found[1:], strict=False)
    )
    assert ereporting.rhythm("franchise", "transactions") == ereporting.TWO_MONTHS
    assert ereporting.rhythm("normal_monthly", "payments") == ereporting.MONTH


@pytest.fixture
def reporting(platform):
    Platform.objects.update(registration="0042", reports_from=D(2026, 11, 1))
    return platform


@pytest.fixture
def person(firm, make_client, alice):
    client = make_client(firm, "Jeanne Martin")  # no SIREN, no VAT number: a person
    client.owners.add(alice)
    return client


@pytest.fixture
def abroad(firm, make_client, alice):
    client = make_client(firm, "Brussels Partners SA", country="BE", vat_number="BE0123456749")
    client.owners.add(alice)
    return client


def issue(alice, client, day, *lines, credit_of=None):
    by = type(alice).objects.get(pk=alice.pk)
    rows = [{"description": "Conseil", "unit_price": p, "vat_rate": r} for p, r in lines]
    draft = actions.create_draft(by=by, client=client, lines=rows)
    noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    return actions.finalize_invoice(draft, by=by, now=noon)


def pay(staff, client, invoice, amount, day):
    from facturier.receivables import actions as receivables

    return receivables.record_payment(
        by=staff["processor_only"],
        client=client.pk,
        amount=Decimal(amount),
        received_on=day,
        allocations=[{"invoice": invoice.pk, "amount": Decimal(amount)}],
    )


def text(content: bytes, path: str) -> list[str]:
    return [e.text for e in etree.fromstring(content).findall(path)]


def test_a_months_sales_to_persons_are_reported_per_day_category_and_rate(
    reporting, person, alice, template, french_business
):
    issue(alice, person, D(2026, 11, 3), ("100", "20"), ("50", "10"))
    issue(alice, person, D(2026, 11, 3), ("200", "20"))
    issue(alice, french_business, D(2026, 11, 4), ("999", "20"))  # e-invoiced: not here
    issue(alice, person, D(2026, 11, 12), ("80", "20"))
    assert ereporting.queue_due_reports(today=TODAY) >= 1
    # Normal monthly regime: sales every ten days; November's first ten days, then ...
    first = EReport.objects.get(kind="transactions", start=D(2026, 11, 1))
    assert first.end == D(2026, 11, 10) and first.version == 1
    content = bytes(first.content)
    assert frr.schema_errors(content) == []
    assert text(content, "ReportDocument/TypeCode") == ["IN"]
    assert text(content, "ReportDocument/Issuer/Id") == ["123456782"]
    assert text(content, "ReportDocument/Sender/Id") == ["0042"]
    assert text(content, "TransactionsReport/ReportPeriod/StartDate") == ["20261101"]
    assert text(content, "TransactionsReport/Transactions/Date") == ["20261103"]
    assert text(content, "TransactionsReport/Transactions/CategoryCode") == ["TPS1"]
    assert text(content, "TransactionsReport/Transactions/TransactionsCount") == ["2"]
    assert text(content, "TransactionsReport/Transactions/TaxExclusiveAmount") == ["350.00"]
    assert text(content, "TransactionsReport/Transactions/TaxTotal") == ["65.00"]
    assert text(content, "TransactionsReport/Transactions/TaxSubtotal/TaxPercent") == ["10", "20"]
    assert first.summary["lines"] == 2 and first.summary["totals"] == {"EUR": "350.00"}
    second = EReport.objects.get(kind="transactions", start=D(2026, 11, 11))
    assert text(bytes(second.content), "TransactionsReport/Transactions/Date") == ["20261112"]
    # Periods with nothing sold report nothing; the current one waits for its end.
    assert not EReport.objects.filter(kind="transactions", start=D(2026, 11, 21)).exists()
    assert not EReport.objects.filter(start__gte=D(2026, 12, 1)).exists()


def test_money_received_on_services_is_reported_per_invoice_abroad_and_per_day_at_home(
    reporting, person, abroad, alice, staff, template
):
    home = issue(alice, person, D(2026, 11, 2), ("1000", "20"), ("500", "10"))
    away = issue(alice, abroad, D(2026, 11, 2), ("2000", "0"))
    pay(staff, person, home, "700.00", D(2026, 11, 9))
    pay(staff, abroad, away, "2000.00", D(2026, 11, 20))
    ereporting.queue_due_reports(today=TODAY)
    report = EReport.objects.get(kind="payments", start=D(2026, 11, 1))
    assert report.end == D(2026, 11, 30)
    content = bytes(report.content)
    assert frr.schema_errors(content) == []
    assert text(content, "PaymentsReport/Invoice/InvoiceID") == [away.number]
    assert text(content, "PaymentsReport/Invoice/Payment/Date") == ["20261120"]
    assert text(content, "PaymentsReport/Invoice/Payment/SubTotals/Amount") == ["2000.00"]
    assert text(content, "PaymentsReport/Transactions/Payment/Date") == ["20261109"]
    # 1,200 of 1,750 at 20 %, 550 at 10 %: 700 is 480.00 and 220.00.
    amounts = text(content, "PaymentsReport/Transactions/Payment/SubTotals/Amount")
    rates = text(content, "PaymentsReport/Transactions/Payment/SubTotals/TaxPercent")
    assert dict(zip(rates, amounts, strict=True)) == {"20": "480.00", "10": "220.00"}
    assert report.summary["totals"] == {"EUR": "2700.00"}


def test_a_firm_paying_vat_on_debits_reports_no_payments(reporting, person, alice, staff, template):
    from facturier.firms.models import Firm

    Firm.objects.update(vat_on_debits=True)
    invoice = issue(alice, person, D(2026, 11, 2), ("100", "20"))
    pay(staff, person, invoice, "120.00", D(2026, 11, 5))
    ereporting.queue_due_reports(today=TODAY)
    assert not EReport.objects.filter(kind="payments").exists()
    assert EReport.objects.filter(kind="transactions").count() == 1


def test_each_period_is_reported_once_and_deposited_then_answered(
    reporting, person, alice, template
):
    issue(alice, person, D(2026, 11, 3), ("100", "20"))
    assert ereporting.queue_due_reports(today=TODAY) == 1
    assert ereporting.queue_due_reports(today=TODAY) == 0  # the next pass: nothing new
    (report,) = EReport.objects.all()
    assert engine.process(REPORTS, report.pk) == "sent"
    report.refresh_from_db()
    (flow,) = [f for f in reporting.deposits() if f.info["flowSyntax"] == "FRR"]
    assert flow.content == bytes(report.content) and flow.info["processingRule"] == "B2C"
    assert flow.info["trackingId"] == report.tracking_id and report.flow_id == flow.flow_id
    einvoicing.collect_statuses()
    report.refresh_from_db()
    assert report.answer == "Ok"


def test_a_file_the_platform_rejects_shows_its_reasons(reporting, person, alice, template):
    issue(alice, person, D(2026, 11, 3), ("100", "20"))
    ereporting.queue_due_reports(today=TODAY)
    reporting.script("reject:Période déjà déclarée")
    (report,) = EReport.objects.all()
    engine.process(REPORTS, report.pk)
    einvoicing.collect_statuses()
    report.refresh_from_db()
    assert report.answer == "Error" and "Période déjà déclarée" in report.answer_reasons


def test_a_correction_is_asked_for_sent_whole_and_only_when_something_changed(
    reporting, person, alice, staff, template
):
    invoice = issue(alice, person, D(2026, 11, 3), ("100", "20"))
    pay(staff, person, invoice, "50.00", D(2026, 11, 6))
    ereporting.queue_due_reports(today=TODAY)
    report = EReport.objects.get(kind="payments")
    with pytest.raises(DomainError) as refused:
        ereporting.correct_report(report, by=alice, reason="Paiement oublié")
    assert refused.value.code in ("not_allowed", "not_sent_yet")
    admin = _with_settings_right(alice)
    with pytest.raises(DomainError) as refused:
        ereporting.correct_report(report, by=admin, reason="Paiement oublié")
    assert refused.value.code == "not_sent_yet"
    engine.process(REPORTS, report.pk)
    with pytest.raises(DomainError) as refused:
        ereporting.correct_report(report, by=admin, reason="Rien")
    assert refused.value.code == "unchanged"
    pay(staff, person, invoice, "70.00", D(2026, 11, 28))  # recorded late
    assert ereporting.queue_due_reports(today=TODAY) == 0  # never silently
    corrected = ereporting.correct_report(report, by=admin, reason="Paiement oublié")
    assert corrected.version == 2 and corrected.reason == "Paiement oublié"
    content = bytes(corrected.content)
    assert frr.schema_errors(content) == []
    assert text(content, "ReportDocument/TypeCode") == ["RE"]
    assert text(content, "PaymentsReport/Transactions/Payment/Date") == ["20261106", "20261128"]


def _with_settings_right(user):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


def test_no_report_without_the_platforms_number(platform, person, alice, template):
    Platform.objects.update(reports_from=D(2026, 11, 1))
    issue(alice, person, D(2026, 11, 3), ("100", "20"))
    assert ereporting.queue_due_reports(today=TODAY) == 0
    with pytest.raises(DomainError) as refused:
        ereporting.declarant(Platform.objects.select_related("firm").get())
    assert refused.value.code == "cannot_report"


def test_the_schema_refuses_what_the_rules_refuse():
    declarant = frr.Declarant("123456782", "Cabinet", "0042", "pa.example")
    day = frr.DaySales(
        D(2026, 11, 3), frr.SERVICES, "EUR", 1, {Decimal("20"): [Decimal(1), Decimal("0.2")]}
    )
    good = frr.transactions_report(
        report_id="er-1",
        declarant=declarant,
        start=D(2026, 11, 1),
        end=D(2026, 11, 10),
        days=[day],
        at=datetime.datetime(2026, 11, 11, 8),
    )
    assert frr.schema_errors(good) == []
    for bad, fixed in [
        (b"<TypeCode>IN</TypeCode>", b"<TypeCode>XX</TypeCode>"),
        (b"<StartDate>20261101</StartDate>", b"<StartDate>2026-11-01</StartDate>"),
        (b"<TaxPercent>20</TaxPercent>", b"<TaxPercent>19</TaxPercent>"),
        (b"<CategoryCode>TPS1</CategoryCode>", b"<CategoryCode>TPS9</CategoryCode>"),
        (b"<Id>er-1</Id>", b"<Id>er 1.</Id>"),
    ]:
        assert frr.schema_errors(good.replace(bad, fixed)), fixed


# -- the pages ------------------------------------------------------------------------


def test_the_page_lists_each_period_in_french_with_its_state(
    reporting, person, alice, staff, template, client, settings
):
    from django.urls import reverse

    issue(alice, person, D(2026, 11, 3), ("100", "20"))
    ereporting.queue_due_reports(today=TODAY)
    report = EReport.objects.get(kind="transactions")
    engine.process(REPORTS, report.pk)
    einvoicing.collect_statuses()
    client.force_login(staff["processor_only"])
    page = client.get(reverse("billing:ereporting"), HTTP_ACCEPT_LANGUAGE="fr")
    text_ = page.content.decode()
    assert page.status_code == 200
    assert "Ventes à des particuliers" in text_ and "Accepté par la plateforme" in text_
    assert "1er nov. 2026 – 10 nov. 2026" in text_ and "100,00\xa0€" in text_
    assert "Rien à déclarer" in text_  # the periods after, with no sale
    file = client.get(reverse("billing:ereport_file", args=[report.pk]))
    assert file.content == bytes(report.content)
    assert file["Content-Disposition"].endswith(f'{report.tracking_id}.xml"')


def test_the_page_needs_the_processing_permission(reporting, staff, client):
    from django.urls import reverse

    client.force_login(staff["owner_only"])
    page = client.get(reverse("billing:ereporting"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 403
    assert "permission de traitement" in page.content.decode()


def test_a_correction_from_the_page_needs_a_reason_and_the_settings_right(
    reporting, person, alice, staff, template, client
):
    from django.urls import reverse

    invoice = issue(alice, person, D(2026, 11, 3), ("100", "20"))
    pay(staff, person, invoice, "50.00", D(2026, 11, 6))
    ereporting.queue_due_reports(today=TODAY)
    report = EReport.objects.get(kind="payments")
    engine.process(REPORTS, report.pk)
    pay(staff, person, invoice, "70.00", D(2026, 11, 28))
    url = reverse("billing:ereport_correct", args=[report.pk])
    client.force_login(staff["processor_only"])
    client.post(url, {"reason": "Paiement oublié"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert EReport.objects.filter(kind="payments").count() == 1  # no settings right
    admin = _with_settings_right(staff["processor_only"])
    client.force_login(admin)
    client.post(url, {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="fr")
    assert EReport.objects.filter(kind="payments").count() == 1  # no reason
    client.post(url, {"reason": "Paiement oublié"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert EReport.objects.filter(kind="payments", version=2).exists()


def test_the_settings_take_the_regime_the_number_and_the_first_day_in_french(
    platform, alice, client
):
    from django.urls import reverse

    admin = _with_settings_right(alice)
    client.force_login(admin)
    stored = Platform.objects.get()
    form = {
        "base_url": stored.base_url,
        "token_url": stored.token_url,
        "client_id": stored.client_id,
        "route_b2b": "on",
        "registration": "00A2",
        "vat_regime": "simplified",
        "reports_from": "01/09/2026",
    }
    answer = client.post(reverse("settings:einvoicing"), form, HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 302
    stored.refresh_from_db()
    assert (stored.registration, stored.vat_regime) == ("00A2", "simplified")
    assert stored.reports_from == D(2026, 9, 1)
    form["registration"] = "42"
    page = client.post(reverse("settings:einvoicing"), form, HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 422
    assert "Quatre lettres ou chiffres" in page.content.decode()


# -- the API --------------------------------------------------------------------------


def test_the_api_lists_the_files_serves_them_and_corrects(
    reporting, person, alice, staff, template, api_for
):
    invoice = issue(alice, person, D(2026, 11, 3), ("100", "20"))
    pay(staff, person, invoice, "50.00", D(2026, 11, 6))
    ereporting.queue_due_reports(today=TODAY)
    api = api_for(staff["processor_only"])
    listed = api.get("/api/v1/ereports/?kind=payments").json()["results"]
    assert [(r["kind"], r["start"], r["version"]) for r in listed] == [
        ("payments", "2026-11-01", 1)
    ]
    assert listed[0]["totals"] == {"EUR": "50.00"} and listed[0]["status"] == "queued"
    report = EReport.objects.get(kind="payments")
    file = api.get(f"/api/v1/ereports/{report.pk}/file/")
    assert file.status_code == 200 and file.content == bytes(report.content)
    refused = api.post(f"/api/v1/ereports/{report.pk}/retry/")
    assert refused.status_code == 409 and refused.json()["code"] == "not_retryable"
    engine.process(REPORTS, report.pk)
    pay(staff, person, invoice, "70.00", D(2026, 11, 28))
    body = {"reason": "Paiement oublié"}
    no_right = api.post(f"/api/v1/ereports/{report.pk}/correct/", body, format="json")
    assert no_right.status_code == 403
    admin = api_for(_with_settings_right(staff["processor_only"]))
    corrected = admin.post(f"/api/v1/ereports/{report.pk}/correct/", body, format="json")
    assert corrected.status_code == 201 and corrected.json()["version"] == 2
    again = admin.post(f"/api/v1/ereports/{report.pk}/correct/", body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_sent_yet"
    assert api_for(staff["owner_only"]).get("/api/v1/ereports/").status_code == 403
    assert api.get("/api/v1/ereports/999999/file/").status_code == 404
