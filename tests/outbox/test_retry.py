"""Failed deliveries tried again on request, and the queue the settings hold, as a firm
meets them: a wrong mail password holds every message (said on the outbox page, with
the server's words) until the password is fixed; a failed e-mail, letter or deposit is
retried from its page or the API, once however often the button is pressed, by who may
send it; one already delivered is never sent again."""

import datetime
import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from facturier.email_url import email_settings_from_url
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions, email_outbox
from facturier.invoicing.models import EmailDelivery
from facturier.invoicing.selectors import invoice_events
from facturier.outbox import retrying
from facturier.receivables import actions as receivables
from facturier.receivables import letter_outbox
from facturier.receivables.models import Letter
from tests.smtp import SmtpServer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

REFUSED = "550 5.7.1 Message refused by policy"


def send(invoice, by, **kwargs):
    return actions.send_invoices(
        [invoice], by=by, subject="Facture {number}", message="Bonjour", **kwargs
    )[0]


def failed_email(invoice, by, smtp_server) -> EmailDelivery:
    smtp_server.handler.script = [REFUSED]
    delivery = send(invoice, by)
    assert email_outbox.deliver(delivery.pk) == "failed"
    delivery.refresh_from_db()
    return delivery


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def use_mail(settings, url):
    for name, value in email_settings_from_url(url).items():
        setattr(settings, name, value)


@pytest.mark.django_db(transaction=True)  # the worker closes its connections
def test_a_wrong_mail_password_holds_the_queue_visibly_and_the_right_one_resumes_it(
    finalized, alice, settings, api
):
    server = SmtpServer(login=("cabinet", "le-bon-mot")).start()
    try:
        use_mail(settings, server.url_with("cabinet", "un-mauvais-mot"))
        delivery = send(finalized, alice)
        assert email_outbox.deliver(delivery.pk) == "retrying"
        delivery.refresh_from_db()
        since = delivery.held_since
        for minutes in (5, 60, 600):  # many passes: none counts, none fails it
            now = timezone.now() + datetime.timedelta(minutes=minutes)
            assert email_outbox.deliver(delivery.pk, now=now) == "retrying"
        delivery.refresh_from_db()
        assert delivery.attempts == 0 and delivery.held_since == since  # held since the first
        # One line on the history for the hold, not one per probe.
        assert (
            invoice_events(invoice=finalized).filter(action="invoice.email_deferred").count() == 1
        )
        held = api.get(f"/api/v1/invoices/{finalized.pk}/deliveries/").json()["results"][0]
        assert held["status"] == "retrying" and held["held_since"] is not None
        assert "535" in delivery.last_error  # the server's own words

        page = browser(alice).get("/billing/outbox/").content.decode()
        assert "held since" in page and "535" in page and "Authentication" in page
        invoice_page = browser(alice).get(f"/billing/invoices/{finalized.pk}/").content.decode()
        assert "Held since" in invoice_page
        alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
        settings_page = browser(alice).get("/settings/invoicing/").content.decode()
        assert "held since" in settings_page and "535" in settings_page

        use_mail(settings, server.url_with("cabinet", "le-bon-mot"))  # fixed; worker restarts
        call_command("outbox_worker", "--once", "--no-periodic", "--interval", "0")
        delivery.refresh_from_db()
        assert delivery.status == "sent" and delivery.held_since is None
        assert len(server.messages) == 1
        assert "held" not in browser(alice).get("/billing/outbox/").content.decode()
    finally:
        server.stop()


def test_a_server_that_wants_a_login_the_settings_do_not_give_holds_too(finalized, alice, settings):
    server = SmtpServer(login=("cabinet", "le-bon-mot")).start()
    try:
        use_mail(settings, server.url)  # no user, no password
        delivery = send(finalized, alice)
        assert email_outbox.deliver(delivery.pk) == "retrying"
        delivery.refresh_from_db()
        assert delivery.held_since is not None and "530" in delivery.last_error
    finally:
        server.stop()


def test_a_failed_email_retried_from_the_invoice_page_is_sent_once(finalized, alice, smtp_server):
    delivery = failed_email(finalized, alice, smtp_server)
    page = browser(alice).get(f"/billing/invoices/{finalized.pk}/").content.decode()
    assert f'action="/billing/deliveries/{delivery.pk}/retry/"' in page

    form = {"idempotency_key": "retry-1", "next": f"/billing/invoices/{finalized.pk}/"}
    first = browser(alice).post(f"/billing/deliveries/{delivery.pk}/retry/", form)
    again = browser(alice).post(f"/billing/deliveries/{delivery.pk}/retry/", form)  # double click
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == form["next"]
    delivery.refresh_from_db()
    assert delivery.status == "queued"
    requeued = invoice_events(invoice=finalized).filter(action="invoice.email_requeued")
    assert requeued.count() == 1 and requeued.get().actor == alice

    assert email_outbox.deliver(delivery.pk) == "sent"
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Message-ID"] == delivery.message_id  # the same message

    # Sent: another press (a new form) is refused with the reason, and sends nothing.
    response = browser(alice).post(
        f"/billing/deliveries/{delivery.pk}/retry/", {"idempotency_key": "retry-2"}, follow=True
    )
    assert "already delivered" in response.content.decode()
    assert len(smtp_server.messages) == 1
    history = browser(alice).get(f"/billing/invoices/{finalized.pk}/").content.decode()
    assert "queued to be e-mailed again after a failure" in history


def test_the_api_retries_once_per_key_and_refuses_what_was_sent(finalized, alice, smtp_server, api):
    delivery = failed_email(finalized, alice, smtp_server)
    url = f"/api/v1/deliveries/{delivery.pk}/retry/"
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="k-1")
    replay = api.post(url, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 202
    assert first.json()["status"] == "queued" and replay["Idempotent-Replayed"] == "true"
    under_way = api.post(url)
    assert under_way.status_code == 409 and under_way.json()["code"] == "not_retryable"
    assert email_outbox.deliver(delivery.pk) == "sent"
    sent = api.post(url, HTTP_IDEMPOTENCY_KEY="k-2")
    assert sent.status_code == 409 and sent.json()["code"] == "not_retryable"
    assert "already delivered" in sent.json()["message"]
    assert len(smtp_server.messages) == 1
    assert (
        AuditEvent.objects.filter(target_type="invoicing.invoice")
        .filter(action="invoice.email_requeued")
        .count()
        == 1
    )


def test_only_who_may_send_the_invoice_may_retry_its_email(
    finalized, alice, staff, smtp_server, api_for, make_firm, make_user
):
    delivery = failed_email(finalized, alice, smtp_server)
    outsider = make_user("erin", make_firm("Autre cabinet"), processing=True)
    url = f"/billing/deliveries/{delivery.pk}/retry/"
    api_url = f"/api/v1/deliveries/{delivery.pk}/retry/"
    for user, code in [
        (staff["owner_only"], 403),  # sees it, may not send
        (staff["processor_only"], 403),  # sees it, owns no client
        (staff["neither"], 404),  # does not see it
        (outsider, 404),
    ]:
        assert browser(user).post(url, {"idempotency_key": user.username}).status_code == code
        assert api_for(user).post(api_url).status_code == code, user
    assert api_for(staff["owner_only"]).post("/api/v1/outbox/retry/").status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    page = browser(staff["owner_only"]).get(f"/billing/invoices/{finalized.pk}/").content.decode()
    assert "/retry/" not in page  # no button for who may not retry


@pytest.mark.django_db(transaction=True)  # the worker closes its connections
def test_retry_all_queues_every_failed_delivery_once_but_not_one_a_resend_replaced(
    finalized, make_draft, alice, client_entity, smtp_server, api
):
    other = actions.finalize_invoice(make_draft(), by=alice)
    replaced = failed_email(finalized, alice, smtp_server)
    send(finalized, alice, resend=None)  # the person sent it again meanwhile
    email_outbox.deliver(EmailDelivery.objects.latest("pk").pk)
    failed = failed_email(other, alice, smtp_server)
    today = timezone.localdate()
    letter = receivables.send_statement_of_account(
        client_entity, by=alice, start=today.replace(day=1), end=today
    )
    smtp_server.handler.script = [REFUSED]
    assert letter_outbox.deliver(letter.pk) == "failed"
    before = len(smtp_server.messages)

    response = api.post("/api/v1/outbox/retry/", {}, format="json", HTTP_IDEMPOTENCY_KEY="all")
    assert response.status_code == 202
    assert response.json()["queued"] == {"email": 1, "letter": 1, "platform": 0}
    assert api.post("/api/v1/outbox/retry/", {}, format="json").json()["queued"] == {
        "email": 0,
        "letter": 0,
        "platform": 0,
    }
    call_command("outbox_worker", "--once", "--no-periodic", "--interval", "0")
    replaced.refresh_from_db()
    failed.refresh_from_db()
    assert replaced.status == "failed" and failed.status == "sent"
    assert Letter.objects.get(pk=letter.pk).status == "sent"
    assert len(smtp_server.messages) == before + 2
    assert api.get("/api/v1/outbox/").json()["failed"] == [
        {
            "kind": "email",
            "id": replaced.pk,
            "invoice": finalized.pk,
            "client": None,
            "attempts": 1,
            "last_error": replaced.last_error,
            "created_at": api.get(f"/api/v1/invoices/{finalized.pk}/deliveries/").json()["results"][
                -1
            ]["created_at"],
        }
    ]


def test_retry_all_from_the_outbox_page_in_french(finalized, alice, smtp_server):
    delivery = failed_email(finalized, alice, smtp_server)
    client = browser(alice)
    page = client.get("/billing/outbox/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Réessayer tous les envois en échec" in page
    response = client.post(
        "/billing/outbox/retry/", {"idempotency_key": "all-fr"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "queued"
    assert (
        "1 envoi en échec remis en file"
        in client.get("/billing/outbox/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )


def test_a_failed_letter_is_retried_by_who_may_send_reminders(
    client_entity, alice, staff, smtp_server, api_for
):
    today = timezone.localdate()
    letter = receivables.send_statement_of_account(
        client_entity, by=alice, start=today.replace(day=1), end=today
    )
    smtp_server.handler.script = [REFUSED]
    assert letter_outbox.deliver(letter.pk) == "failed"
    account = browser(alice).get(f"/billing/clients/{client_entity.pk}/").content.decode()
    assert f'action="/billing/letters/{letter.pk}/retry/"' in account and "550 5.7.1" in account
    url = f"/api/v1/letters/{letter.pk}/retry/"
    assert api_for(staff["owner_only"]).post(url).status_code == 403
    response = api_for(alice).post(url)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert "550 5.7.1" in response.json()["last_error"]  # what the server said last time
    assert api_for(alice).post(url).json()["code"] == "not_retryable"
    assert letter_outbox.deliver(letter.pk) == "sent"
    assert len(smtp_server.messages) == 1


def test_queue_states_say_what_holds_each_kind(finalized, alice, settings):
    server = SmtpServer(login=("cabinet", "le-bon-mot")).start()
    try:
        use_mail(settings, server.url_with("cabinet", "faux"))
        email_outbox.deliver(send(finalized, alice).pk)
        (emails,) = [s for s in retrying.queue_states(alice) if s.code == "email"]
        assert emails.held == 1 and emails.failed == 0 and "535" in emails.words
        assert emails.held_since is not None
    finally:
        server.stop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retries_at_the_same_moment_queue_once(finalized, client_entity, alice, smtp_server):
    """Two people (two tabs, two API clients) press Retry at once, each with its own
    form: one queues, the other is told it is on its way already."""
    email = failed_email(finalized, alice, smtp_server)
    today = timezone.localdate()
    letter = receivables.send_statement_of_account(
        client_entity, by=alice, start=today.replace(day=1), end=today
    )
    smtp_server.handler.script = [REFUSED]
    assert letter_outbox.deliver(letter.pk) == "failed"
    for kind, pk in [("email", email.pk), ("letter", letter.pk)]:
        start = threading.Barrier(2)
        outcomes = []

        def press(kind=kind, pk=pk, start=start, outcomes=outcomes):
            start.wait()
            try:
                retrying.retry_delivery(by=alice, kind=kind, delivery=pk)
                outcomes.append("queued")
            except retrying.NotRetryable:
                outcomes.append("refused")
            finally:
                connection.close()

        threads = [threading.Thread(target=press) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["queued", "refused"], kind
    assert (
        AuditEvent.objects.filter(target_type="invoicing.invoice")
        .filter(action="invoice.email_requeued")
        .count()
        == 1
    )
    assert AuditEvent.objects.filter(action="letter.retried").count() == 1


@pytest.mark.django_db(transaction=True)  # the worker closes its connections
def test_a_wrong_password_is_tried_once_per_pass_not_once_per_message(
    make_draft, alice, template, settings
):
    """A server that counts failed logins locks the account: the queue waits behind
    the first refusal instead of each message meeting it."""
    invoices = [actions.finalize_invoice(make_draft(), by=alice) for _ in range(4)]
    server = SmtpServer(login=("cabinet", "le-bon-mot")).start()
    try:
        use_mail(settings, server.url_with("cabinet", "un-mauvais-mot"))
        queued = [send(invoice, alice) for invoice in invoices]
        call_command("outbox_worker", "--once", "--no-periodic", "--interval", "0")
        assert len(set(server.login_peers)) == 1  # one connection tried to log in
        for delivery in queued:
            delivery.refresh_from_db()
            assert delivery.status == "retrying" and delivery.attempts == 0
            assert delivery.held_since is not None and "535" in delivery.last_error
        (emails,) = [s for s in retrying.queue_states(alice) if s.code == "email"]
        assert emails.held == 4

        use_mail(settings, server.url_with("cabinet", "le-bon-mot"))
        call_command("outbox_worker", "--once", "--no-periodic", "--interval", "0")
        assert len(server.messages) == 4
        assert {d.status for d in EmailDelivery.objects.all()} == {"sent"}
    finally:
        server.stop()


def test_the_outbox_page_reads_as_many_rows_in_the_same_queries(
    make_draft, alice, template, smtp_server
):
    def queries() -> int:
        client = browser(alice)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/billing/outbox/").status_code == 200
        return len(captured)

    failed_email(actions.finalize_invoice(make_draft(), by=alice), alice, smtp_server)
    one = queries()
    for _ in range(4):
        failed_email(actions.finalize_invoice(make_draft(), by=alice), alice, smtp_server)
    assert queries() == one


def test_what_the_server_said_reads_in_the_readers_language(finalized, alice, settings):
    """The worker writes a failure's reason before anyone reads it: whoever asked for
    the delivery chose no language, yet a French page says it in French, an English
    one in English, with the server's own words in both."""
    assert not alice.language  # the worker falls back on the site's language (English)
    server = SmtpServer(login=("cabinet", "le-bon-mot")).start()
    try:
        use_mail(settings, server.url_with("cabinet", "un-mauvais-mot"))
        delivery = send(finalized, alice)
        assert email_outbox.deliver(delivery.pk) == "retrying"
    finally:
        server.stop()
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Held: the server said")
    french = browser(alice).get("/billing/outbox/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "En attente : le serveur a répondu" in french and "535" in french
    assert "Held: the server said" not in french
    english = browser(alice).get("/billing/outbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Held: the server said" in english
    page = (
        browser(alice)
        .get(f"/billing/invoices/{finalized.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    assert "En attente : le serveur a répondu" in page


def test_a_refusal_reads_in_french_on_a_french_invoice_page(finalized, alice, smtp_server):
    delivery = failed_email(finalized, alice, smtp_server)
    assert delivery.last_error_texts.keys() == {"en", "fr"}
    page = (
        browser(alice)
        .get(f"/billing/invoices/{finalized.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    assert delivery.last_error_texts["fr"] in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert delivery.last_error_texts["fr"] != delivery.last_error_texts["en"]
