"""Payment reminders: the levels, the worker's pass, "Send a reminder now", pauses, the
letter's figures, and what stops a reminder."""

import datetime
import io
from decimal import Decimal

import pypdf
import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from facturier.clients.models import Client
from facturier.core.errors import Invalid, NotAllowed
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing
from facturier.invoicing.selectors import invoice_events
from facturier.receivables import actions
from facturier.receivables.actions import reminders
from facturier.receivables.letter_outbox import deliver
from facturier.receivables.letters import interest
from facturier.receivables.models import Letter, ReminderItem, ReminderLevel

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "1000.00", "vat_rate": "20"}
TODAY = datetime.date.today()


def level(days, **texts):
    return {
        "days": days,
        "subject_fr": texts.get("subject_fr", f"Relance J+{days} : {{number}}"),
        "message_fr": texts.get("message_fr", "Bonjour,\n\n{total} restent dus.\n\n{firm}"),
        "subject_en": texts.get("subject_en", f"Reminder D+{days}: {{number}}"),
        "message_en": texts.get("message_en", "Hello,\n\n{total} is still due.\n\n{firm}"),
        "attach_invoice": texts.get("attach_invoice", True),
    }


@pytest.fixture
def manager(alice):
    from django.contrib.auth.models import Permission

    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(alice).objects.get(pk=alice.pk)


@pytest.fixture
def three_levels(firm, manager):
    return reminders.save_levels(firm, by=manager, levels=[level(7), level(21), level(45)])


@pytest.fixture
def overdue(make_draft, alice, template):
    """A finalized invoice of 1,200.00 whose due date is `due`."""

    def make(due: datetime.date, **fields):
        issued = due - datetime.timedelta(days=30)
        when = datetime.datetime.combine(issued, datetime.time(10), datetime.UTC)
        user = type(alice).objects.get(pk=alice.pk)  # fresh: clients made since are seen
        return invoicing.finalize_invoice(
            make_draft(by=user, lines=[LINE], **fields), by=user, now=when
        )

    return make


def after(due: datetime.date, days: int) -> datetime.date:
    return due + datetime.timedelta(days=days)


def levels_sent(invoice) -> list[int]:
    return list(
        ReminderItem.objects.filter(invoice=invoice)
        .order_by("level__days")
        .values_list("level__days", flat=True)
    )


DUE = TODAY - datetime.timedelta(days=100)


def test_the_worker_sends_each_level_once_on_its_day(three_levels, overdue):
    invoice = overdue(DUE)
    assert reminders.send_due_reminders(today=after(DUE, 6)) == []  # not yet
    first = reminders.send_due_reminders(today=after(DUE, 7))
    assert [letter.subject for letter in first] == [f"Relance J+7 : {invoice.number}"]
    assert reminders.send_due_reminders(today=after(DUE, 8)) == []  # not twice
    assert reminders.send_due_reminders(today=after(DUE, 20)) == []
    second = reminders.send_due_reminders(today=after(DUE, 21))
    assert len(second) == 1 and levels_sent(invoice) == [7, 21]
    events = invoice_events(invoice=invoice).filter(action="invoice.reminded").order_by("pk")
    assert [event.details["level"] for event in events] == [1, 2]
    assert all(event.actor is None for event in events)  # the system, not a person


def test_a_late_first_pass_sends_the_highest_level_reached_and_never_the_lower_ones(
    three_levels, overdue
):
    invoice = overdue(DUE)
    letters = reminders.send_due_reminders(today=after(DUE, 30))
    assert len(letters) == 1 and levels_sent(invoice) == [21]
    assert reminders.send_due_reminders(today=after(DUE, 31)) == []
    reminders.send_due_reminders(today=after(DUE, 45))
    assert levels_sent(invoice) == [21, 45]
    assert reminders.send_due_reminders(today=after(DUE, 400)) == []  # no level left


def test_a_payment_in_full_stops_the_rest_and_a_partial_one_does_not(
    three_levels, overdue, alice, client_entity
):
    paid, partly = overdue(DUE), overdue(DUE)
    reminders.send_due_reminders(today=after(DUE, 7))
    actions.record_payment(
        by=alice,
        client=client_entity,
        amount=Decimal("1200.00"),
        received_on=TODAY,
        allocations=[{"invoice": paid.pk}],
    )
    actions.record_payment(
        by=alice,
        client=client_entity,
        amount=Decimal("200.00"),
        received_on=TODAY,
        allocations=[{"invoice": partly.pk}],
    )
    letters = reminders.send_due_reminders(today=after(DUE, 21))
    assert levels_sent(paid) == [7]
    assert levels_sent(partly) == [7, 21]
    assert [item.balance for item in letters[0].items.all()] == [Decimal("1000.00")]


def test_the_clients_credit_covering_the_balance_stops_the_reminder(
    three_levels, overdue, alice, client_entity
):
    invoice = overdue(DUE)
    actions.record_payment(
        by=alice, client=client_entity, amount=Decimal("1200.00"), received_on=TODAY, allocations=[]
    )  # unallocated: the client's credit
    assert reminders.send_due_reminders(today=after(DUE, 7)) == []
    assert levels_sent(invoice) == []


def test_pauses_closed_invoices_and_drafts_are_not_reminded(
    three_levels, overdue, alice, client_entity, make_client, firm, make_draft
):
    paused_invoice = overdue(DUE)
    closed = invoicing.close_invoice(overdue(DUE), by=alice)
    reminders.set_pause(paused_invoice, by=alice, paused=True, reason="Litige en cours")
    other = make_client(firm, "Autre SA")
    other.owners.add(alice)
    on_paused_client = overdue(DUE, client=other)
    reminders.set_pause(other, by=alice, paused=True)
    make_draft()  # a draft is never reminded
    assert reminders.send_due_reminders(today=after(DUE, 7)) == []
    assert levels_sent(closed) == levels_sent(on_paused_client) == []
    assert invoice_events(invoice=paused_invoice).filter(action="invoice.reminders_paused").exists()
    assert AuditEvent.objects.filter(action="client.reminders_paused", target_id=str(other.pk))
    reminders.set_pause(paused_invoice, by=alice, paused=False)
    assert len(reminders.send_due_reminders(today=after(DUE, 7))) == 1
    assert levels_sent(paused_invoice) == [7]


def test_a_pause_reason_too_long_is_refused_whole_never_cut(overdue, alice):
    invoice = overdue(DUE)
    with pytest.raises(Invalid) as refused:
        reminders.set_pause(invoice, by=alice, paused=True, reason="x" * 201)
    assert refused.value.codes == {"reason": ["max_length"]}
    assert not invoice_events(invoice=invoice).filter(action="invoice.reminders_paused").exists()
    reminders.set_pause(invoice, by=alice, paused=True, reason="é" * 200)
    assert invoice.reminder_pause.reason == "é" * 200


def test_one_letter_per_client_lists_its_invoices_oldest_first(three_levels, overdue):
    older, newer = overdue(DUE), overdue(after(DUE, 2))
    letters = reminders.send_due_reminders(today=after(DUE, 10))
    assert len(letters) == 1
    assert [item.invoice_id for item in letters[0].items.all()] == [older.pk, newer.pk]
    assert letters[0].subject == f"Relance J+7 : {older.number}, {newer.number}"


def test_interest_is_right_to_the_cent(firm, three_levels, overdue):
    firm.late_payment_penalty_rate = Decimal("12.15")
    firm.save()
    invoice = overdue(DUE)
    letter = reminders.send_due_reminders(today=after(DUE, 73))[0]
    item = letter.items.get()
    # 1,200.00 × 12.15 % × 73 / 365 = 29.16
    assert item.days_late == 73
    assert item.interest == Decimal("29.16")
    assert interest(Decimal("1000"), Decimal("10"), 365, "EUR") == Decimal("100.00")
    assert interest(Decimal("1000"), Decimal("10"), 0, "EUR") == Decimal("0.00")
    assert interest(Decimal("1000"), None, 30, "EUR") == Decimal("0.00")
    text = pdf_text(letter.pdf)
    assert invoice.number in text and "29,16" in text and "1 200,00" in text.replace("\u202f", " ")


def pdf_text(pdf) -> str:
    reader = pypdf.PdfReader(io.BytesIO(bytes(pdf)))
    return " ".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def test_the_recovery_indemnity_is_for_french_business_clients_only(
    firm, three_levels, overdue, make_client, alice
):
    business = make_client(firm, "Société SA", company_id="552100554")
    consumer = make_client(firm, "Jean Dupont")
    foreign = make_client(firm, "GmbH", company_id="HRB 1", country="DE")
    for client in (business, consumer, foreign):
        client.owners.add(alice)
    invoices = {c.name: overdue(DUE, client=c) for c in (business, consumer, foreign)}
    reminders.send_due_reminders(today=after(DUE, 10))
    indemnity = {
        name: ReminderItem.objects.get(invoice=invoice).indemnity
        for name, invoice in invoices.items()
    }
    assert indemnity == {
        "Société SA": Decimal("40.00"),
        "Jean Dupont": Decimal("0.00"),
        "GmbH": Decimal("0.00"),
    }
    letter = Letter.objects.get(client=business)
    assert "L441-10" in pdf_text(letter.pdf)
    assert "L441-10" not in pdf_text(Letter.objects.get(client=consumer).pdf)


def test_the_same_level_cannot_be_recorded_twice_for_an_invoice(three_levels, overdue):
    invoice = overdue(DUE)
    letter = reminders.send_due_reminders(today=after(DUE, 7))[0]
    item = letter.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderItem.objects.create(
            letter=letter,
            invoice=invoice,
            level=item.level,
            days_late=8,
            balance=item.balance,
            interest=0,
            indemnity=0,
        )


def test_send_a_reminder_now_takes_the_next_level_whatever_its_day(three_levels, overdue, alice):
    invoice = overdue(TODAY - datetime.timedelta(days=2))  # 2 days late, level 1 is at 7
    letter = reminders.send_reminder_now([invoice.pk], by=alice)
    assert levels_sent(invoice) == [7]
    assert letter.requested_by == alice
    assert letter.to == ["compta@client.example"]
    reminders.send_reminder_now(
        [invoice.pk], by=alice, subject="Relance {number}", message="{total}"
    )
    reminders.send_reminder_now([invoice.pk], by=alice)
    assert levels_sent(invoice) == [7, 21, 45]
    with pytest.raises(Invalid) as refused:
        reminders.send_reminder_now([invoice.pk], by=alice)
    assert refused.value.codes == {"invoices": ["not_remindable"]}
    # The worker does not send again what a person sent.
    assert reminders.send_due_reminders(today=after(TODAY, 60)) == []


def test_send_a_reminder_now_refusals(
    three_levels, overdue, alice, staff, make_client, firm, make_draft
):
    late = overdue(TODAY - datetime.timedelta(days=5))
    not_due = overdue(TODAY + datetime.timedelta(days=5))
    other = make_client(firm, "Autre SA")
    other.owners.add(alice)
    elsewhere = overdue(TODAY - datetime.timedelta(days=5), client=other)

    def codes(ids, by=alice, **kwargs):
        with pytest.raises((Invalid, NotAllowed)) as refused:
            reminders.send_reminder_now(ids, by=by, **kwargs)
        return getattr(refused.value, "codes", {}) or refused.value.code

    assert codes([not_due.pk]) == {"invoices": ["not_remindable"]}
    assert codes([late.pk, elsewhere.pk]) == {"invoices": ["several_clients"]}
    assert codes([]) == {"invoices": ["required"]}
    assert codes([999999]) == {"invoices": ["not_found"]}
    assert codes([late.pk], by=staff["owner_only"]) == "not_allowed"
    assert codes([late.pk], by=staff["neither"]) == "not_allowed"
    assert codes([late.pk], subject="Relance {nope}", message="x") == {
        "subject": ["unknown_placeholder"]
    }
    assert codes([late.pk], to=["not an address"]) == {"to": ["invalid_email"]}
    assert codes([make_draft().pk]) == {"invoices": ["not_remindable"]}
    assert not Letter.objects.exists()  # nothing half-done
    ReminderLevel.objects.all().delete()
    assert codes([late.pk]) == {"invoices": ["no_levels"]}


def test_levels_are_checked_and_need_the_settings_right(firm, manager, staff):
    with pytest.raises(Invalid) as refused:
        reminders.save_levels(
            firm,
            by=manager,
            levels=[level(7), level(7), level(999), {**level(3), "subject_fr": ""}],
        )
    assert refused.value.codes == {
        "levels.2.days": ["duplicate"],
        "levels.3.days": ["out_of_range"],
        "levels.4.subject_fr": ["required"],
    }
    with pytest.raises(Invalid):
        reminders.save_levels(firm, by=manager, levels=[level(x) for x in range(30)])
    with pytest.raises(NotAllowed):
        reminders.save_levels(firm, by=staff["processor_only"], levels=[level(7)])
    saved = reminders.save_levels(firm, by=manager, levels=[level(30), level(-3)])
    assert [row.days for row in saved] == [-3, 30]
    assert AuditEvent.objects.filter(action="reminder_levels.saved").count() == 1


def test_a_level_that_was_sent_cannot_be_removed(firm, manager, three_levels, overdue):
    overdue(DUE)
    reminders.send_due_reminders(today=after(DUE, 7))
    with pytest.raises(Invalid) as refused:
        reminders.save_levels(firm, by=manager, levels=[level(21), level(45)])
    assert refused.value.codes == {"levels": ["level_in_use"]}
    # Its texts may change.
    reminders.save_levels(
        firm, by=manager, levels=[level(7, subject_fr="Rappel {number}"), level(21)]
    )
    assert ReminderLevel.objects.get(days=7).subject_fr == "Rappel {number}"


def test_the_letter_is_emailed_with_its_pdf_and_the_invoices(smtp_server, three_levels, overdue):
    invoice = overdue(DUE)
    letter = reminders.send_due_reminders(today=after(DUE, 7))[0]
    assert deliver(letter.pk) == "sent"
    ((recipients, message),) = smtp_server.handler.received
    assert recipients == ["compta@client.example"]
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names[0].endswith(".pdf") and f"{invoice.number}.pdf" in names
    assert invoice_events(invoice=invoice).filter(action="invoice.reminder_emailed").exists()


def test_the_letters_attachment_is_named_in_the_clients_language(three_levels, overdue, alice):
    """The worker writes in no one's language: a French client's reminder and statement
    arrive as relance-....pdf and releve-de-compte-....pdf, an English one's in English."""
    invoice = overdue(DUE)  # a French client's
    day = after(DUE, 7)
    (letter,) = reminders.send_due_reminders(today=day)
    assert letter.filename == f"relance-{day.isoformat()}.pdf"
    statement = actions.send_statement_of_account(
        invoice.client_id, by=alice, start=DUE.replace(day=1), end=day
    )
    assert statement.filename == f"releve-de-compte-{day.isoformat()}.pdf"
    Client.objects.filter(pk=invoice.client_id).update(language="en")
    statement = actions.send_statement_of_account(
        invoice.client_id, by=alice, start=DUE.replace(day=1), end=day
    )
    assert statement.filename == f"statement-{day.isoformat()}.pdf"


def test_a_refused_reminder_fails_with_the_servers_reason_on_the_invoice(
    smtp_server, three_levels, overdue
):
    invoice = overdue(DUE)
    letter = reminders.send_due_reminders(today=after(DUE, 7))[0]
    smtp_server.handler.script = ["550 5.1.1 mailbox unknown"]
    assert deliver(letter.pk) == "failed"
    event = invoice_events(invoice=invoice).get(action="invoice.reminder_failed")
    assert "mailbox unknown" in event.details["reason"]
    # Failing to e-mail does not make the level available again.
    assert reminders.send_due_reminders(today=after(DUE, 8)) == []


def test_a_reminder_waits_for_the_mail_server_when_it_is_away(smtp_server, three_levels, overdue):
    overdue(DUE)
    letter = reminders.send_due_reminders(today=after(DUE, 7))[0]
    smtp_server.handler.script = ["451 4.3.0 try later"]
    assert deliver(letter.pk) == "retrying"
    smtp_server.handler.script = ["disconnect"]
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    assert deliver(letter.pk, now=later) == "retrying"
    assert deliver(letter.pk, now=later + datetime.timedelta(hours=3)) == "sent"
    assert len(smtp_server.handler.received) == 1


@pytest.mark.django_db(transaction=True)
def test_the_outbox_worker_runs_the_reminders_pass(smtp_server, three_levels, overdue, settings):
    invoice = overdue(TODAY - datetime.timedelta(days=8))
    call_command("outbox_worker", once=True, interval=0)
    assert levels_sent(invoice) == [7]
    assert Letter.objects.get().status == "sent"
    assert len(smtp_server.handler.received) == 1
    call_command("outbox_worker", once=True, interval=0)
    assert len(smtp_server.handler.received) == 1  # not twice


def test_a_failed_reminder_retried_reads_on_the_invoices_history_and_goes_once(
    smtp_server, three_levels, overdue, alice
):
    invoice = overdue(TODAY - datetime.timedelta(days=8))
    letter = reminders.send_reminder_now([invoice.pk], by=alice)
    smtp_server.handler.script = ["550 5.1.1 Mailbox unknown"]
    assert deliver(letter.pk) == "failed"
    assert actions.retry_failed_letters(by=alice) == [letter]
    assert actions.retry_failed_letters(by=alice) == []  # queued already: not twice
    assert deliver(letter.pk) == "sent"
    assert len(smtp_server.handler.received) == 1
    lines = list(invoice_events(invoice=invoice).order_by("pk").values_list("action", flat=True))
    assert lines[-3:] == [
        "invoice.reminder_failed",
        "invoice.reminder_requeued",
        "invoice.reminder_emailed",
    ]
    assert AuditEvent.objects.filter(action="letter.retried", target_id=str(letter.pk)).count() == 1


def test_the_letter_prints_the_iban_in_groups_of_four_as_the_invoice_does():
    from types import SimpleNamespace

    from django.utils import translation

    from facturier.receivables.letters import _reminder_outro

    firm = SimpleNamespace(iban="FR7630006000011234567890189", bic="AGRIFRPP", name="Cabinet")
    with translation.override("fr"):
        (bank, *_rest) = _reminder_outro(firm)
    assert "IBAN FR76 3000 6000 0112 3456 7890 189 · BIC AGRIFRPP" in bank
