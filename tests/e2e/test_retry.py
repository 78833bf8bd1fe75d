"""Retrying in Chromium, in French: an invoice's e-mail the server refused shows
Réessayer on the invoice's page; pressed, the same message goes once. A wrong mail
password holds the queue, said in the Envois tab with the server's words; there,
Réessayer tous les envois en échec queues every failed one."""

import pytest
from playwright.sync_api import expect

from facturier.email_url import email_settings_from_url
from facturier.firms.models import User
from facturier.invoicing import actions, email_outbox
from facturier.invoicing.models import EmailDelivery, Invoice
from tests.e2e.conftest import shot
from tests.smtp import SmtpServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


def refused_email(smtp_server) -> EmailDelivery:
    alice = User.objects.get(username="alice")
    invoice = (
        Invoice.objects.filter(firm=alice.firm, status="finalized", kind="invoice", sent_count=0)
        .filter(client__owners=alice, client__contacts__email__isnull=False)
        .order_by("pk")
        .first()
    )
    smtp_server.handler.script = ["550 5.7.1 Refusé par la politique du serveur"]
    (delivery,) = actions.send_invoices(
        [invoice], by=alice, subject="Facture {number}", message="Bonjour", resend=None
    )
    assert email_outbox.deliver(delivery.pk) == "failed"
    return delivery


def test_retry_a_refused_email_from_its_invoice_page(open_as, smtp_server):
    delivery = refused_email(smtp_server)
    page = open_as("alice", locale="fr-FR")
    page.goto(page.base + f"/billing/invoices/{delivery.invoice_id}/")
    row = page.locator("#deliveries tr[data-delivery-status='failed']")
    expect(row).to_contain_text("Refusé par la politique du serveur")
    shot(page, "fr-50-envoi-echec")
    row.get_by_role("button", name="Réessayer").click()
    expect(page.locator(".flash-success")).to_contain_text("Remis en file")
    expect(page.locator("#deliveries tr[data-delivery-status='failed']")).to_have_count(0)
    assert email_outbox.deliver(delivery.pk) == "sent"
    page.reload()
    expect(page.locator("#deliveries tr[data-delivery-status='sent']")).to_have_count(1)
    expect(page.locator(".history")).to_contain_text("remise en file")
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Message-ID"] == delivery.message_id


def test_a_wrong_password_shows_in_the_outbox_and_retry_all(open_as, settings, smtp_server):
    failed = refused_email(smtp_server)
    server = SmtpServer(login=("cabinet", "le-bon-mot")).start()
    try:
        for name, value in email_settings_from_url(server.url_with("cabinet", "faux")).items():
            setattr(settings, name, value)
        alice = User.objects.get(username="alice")
        other = (
            Invoice.objects.filter(firm=alice.firm, status="finalized", sent_count=0)
            .filter(client__owners=alice)
            .exclude(pk=failed.invoice_id)
            .exclude(client__contacts__isnull=True)
            .order_by("pk")
            .first()
        )
        (held,) = actions.send_invoices(
            [other], by=alice, subject="Facture {number}", message="Bonjour", resend=None
        )
        assert email_outbox.deliver(held.pk) == "retrying"

        page = open_as("alice", locale="fr-FR")
        page.get_by_role("link", name="Envois").click()
        queue = page.locator("[data-queue='email']")
        expect(queue.locator("[data-held]")).to_contain_text("en attente depuis le")
        expect(queue.locator("[data-held-words]")).to_contain_text("535")
        expect(page.locator("#failed-deliveries tbody tr")).to_have_count(1)
        shot(page, "fr-51-envois-en-attente")
        page.get_by_role("button", name="Réessayer tous les envois en échec").click()
        expect(page.locator(".flash-success")).to_contain_text("1 envoi en échec remis en file")
        expect(page.locator("#failed-deliveries")).to_contain_text("Aucun envoi en échec")
        failed.refresh_from_db()
        assert failed.status == "queued"
    finally:
        server.stop()
