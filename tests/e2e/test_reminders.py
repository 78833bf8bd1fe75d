"""Getting paid on time, in French, in Chromium: the worker's reminders level by level,
a payment that stops the rest, the letter's interest to the cent, the aging of last
month against today's, and the overview's chart against its table."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect

from facturier.receivables.actions.reminders import send_due_reminders
from tests.e2e.conftest import shot
from tests.e2e.test_getting_paid import french, record_payment, unpaid

pytestmark = pytest.mark.e2e


def reminder_rows(page, invoice):
    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    return page.locator("#reminder-list tbody tr", has_text="Relance n°")


def test_the_worker_reminds_level_by_level_until_the_payment(open_as):
    page = open_as("alice", locale="fr-FR")
    (invoice,) = unpaid()
    due = invoice.due_date

    def pass_on(days: int):
        """The worker's hourly pass, on the day `days` after the due date."""
        send_due_reminders(today=due + datetime.timedelta(days=days))

    pass_on(7)
    rows = reminder_rows(page, invoice)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Relance n° 1")
    expect(rows.first).to_contain_text("automatique")
    # 12.15 % a year on the whole balance for 7 days, to the cent.
    interest = (invoice.balance * Decimal("12.15") / 100 * 7 / 365).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    expect(rows.first.locator("[data-interest]")).to_contain_text(french(interest))
    shot(page, "fr-30-relance-1")

    pass_on(8)  # the next pass: nothing new
    expect(reminder_rows(page, invoice)).to_have_count(1)
    pass_on(21)  # the second level's day
    rows = reminder_rows(page, invoice)
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Relance n° 2")
    expect(page.locator(".history")).to_contain_text("relancée")

    record_payment(page, invoice)  # the whole balance
    expect(page.locator(".flash-success")).to_contain_text("Paiement de")
    pass_on(45)  # the third level's day: paid, so nothing
    expect(reminder_rows(page, invoice)).to_have_count(2)

    # The letter itself opens as a PDF.
    link = reminder_rows(page, invoice).first.get_by_role("link")
    response = page.request.get(page.base + link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"


def test_aging_of_last_month_and_today_differ_by_the_payment_since(open_as):
    page = open_as("carol", locale="fr-FR")
    (invoice,) = unpaid()
    today = datetime.date.today()
    last_month = today - datetime.timedelta(days=30)
    assert invoice.issue_date <= last_month

    def client_total(day):
        page.goto(page.base + f"/billing/aging/?day={day.isoformat()}")
        row = page.locator(f"#aging tbody tr[data-client='{invoice.client_id}']")
        return row.locator("td").last.inner_text()

    before = client_total(last_month)
    part = (invoice.balance / 4).quantize(Decimal("0.01"))
    record_payment(page, invoice, french(part).replace("\u202f", ""))
    expect(page.locator(".flash-success")).to_be_visible()
    assert client_total(last_month) == before  # what was owed then has not changed

    def amount(text):
        digits = text.replace("\u202f", "").replace("\xa0", "").replace("€", "").strip()
        return Decimal(digits.replace(",", "."))

    assert amount(before) - amount(client_total(today)) == part


def test_the_overview_chart_draws_the_tables_numbers(open_as):
    page = open_as("carol", locale="fr-FR")
    page.get_by_role("link", name="Vue d'ensemble").click()
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    chart = page.locator("svg[data-chart='aging']")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 150  # drawn, not an empty box
    table = [
        cell.strip()
        for cell in page.locator("#aging-totals tr[data-currency='EUR'] td").all_inner_texts()
    ][:-1]  # the five buckets, not the total
    drawn = chart.locator("text.value").all_text_contents()
    for value in table:
        if value not in ("0,00", ""):
            assert value in drawn, (value, drawn)
    expect(page.locator("svg[data-chart='dso']")).to_be_visible()
    expect(page.locator("svg[data-chart='collections']")).to_be_visible()
    shot(page, "fr-31-vue-d-ensemble")
