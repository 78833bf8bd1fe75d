"""The engagement letter: templates and their placeholders, the PDF in French, the
statuses and every refusal, the e-mail through a real SMTP server with the PDF."""

import datetime
import io

import pypdfium2
import pytest
from django.utils import translation

from facturier.core.errors import DomainError, Invalid
from facturier.core.formatting import Formatter
from facturier.engagements import actions
from facturier.engagements.letter_models import EngagementLetter, LetterTemplate
from facturier.engagements.letter_outbox import deliver
from facturier.firms.models import AuditEvent

NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def a_pdf() -> bytes:
    document = pypdfium2.PdfDocument.new()
    document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def templates(firm):
    return {row.language: row for row in actions.seed_letter_templates(firm.pk)}


@pytest.fixture
def engagement(make_engagement, client_entity):
    return make_engagement(
        missions=[
            {
                "name": "Tenue comptable",
                "fee_kind": "fixed",
                "annual_fee": "1200",
                "vat_rate": "20",
                "frequency": "quarterly",
                "timing": "advance",
                "billing_day": 1,
            },
            {"name": "Conseil", "fee_kind": "time", "time_cap": "500"},
        ],
        payment_terms_days=30,
    )


def test_a_template_naming_an_unknown_placeholder_is_refused(settings_user):
    with pytest.raises(Invalid) as refused:
        actions.save_letter_template(
            None,
            by=settings_user,
            fields={"name": "Courte", "language": "fr", "body": "Pour {client_name} {honoraires}"},
        )
    assert refused.value.codes == {"body": ["unknown_placeholder"]}
    assert "{honoraires}" in refused.value.errors["body"][0]
    with pytest.raises(Invalid) as broken:
        actions.save_letter_template(
            None, by=settings_user, fields={"name": "X", "language": "fr", "body": "{client_name"}
        )
    assert broken.value.codes == {"body": ["malformed_placeholder"]}
    for body in ("{client_name:>999999999}", "{client_name!r}"):
        with pytest.raises(Invalid) as formatted:
            actions.save_letter_template(
                None, by=settings_user, fields={"name": "X", "language": "fr", "body": body}
            )
        assert formatted.value.codes == {"body": ["malformed_placeholder"]}
    assert not LetterTemplate.objects.exists()


def test_templates_need_the_settings_right(alice, settings_user):
    fields = {"name": "Courte", "language": "en", "body": "For {client_name}"}
    with pytest.raises(DomainError) as refused:
        actions.save_letter_template(None, by=alice, fields=fields)
    assert refused.value.code == "not_allowed"
    assert actions.save_letter_template(None, by=settings_user, fields=fields).name == "Courte"


def test_the_letter_pdf_reads_french_and_names_the_version(alice, engagement, templates):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    text = pdf_text(bytes(letter.pdf)).replace("\u202f", " ").replace("\xa0", " ")
    assert "Lettre de mission" in text
    assert "version 1" in text
    assert "1er janvier 2027" in text
    assert "1 200,00 €" in text
    assert "Tenue comptable : forfait annuel de 1 200,00 € hors taxes" in text
    assert "trimestriellement, à échoir" in text
    assert "Conseil : honoraires au temps passé" in text and "500,00 €" in text
    # The time too has its schedule (the mission's frequency, after each period).
    assert "Conseil : temps passé, mensuellement, à terme échu, le 1er du mois" in text
    assert "Acompte" not in text  # none asked
    assert "payables à 30 jours, par virement" in text
    assert "()" not in text  # the client has no SIREN: no empty brackets
    assert "Client SA" in text
    assert letter.status == "draft"


def test_the_letter_states_the_deposit_asked_at_signature(alice, engagement, templates):
    actions.amend_engagement(engagement, by=alice, fields={"deposit_percent": "25"})
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    text = " ".join(pdf_text(bytes(letter.pdf)).replace("\u202f", " ").replace("\xa0", " ").split())
    # 25 % of the first year's fixed fees, as its invoice will ask.
    assert "Acompte à la signature : 300,00 € hors taxes, déduit des factures suivantes" in text


def test_the_letter_is_emailed_with_its_pdf(smtp_server, alice, engagement, templates):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.send_letter(letter, by=alice, now=NOW)
    email = letter.emails.get()
    assert deliver(email.pk) == "sent"
    ((recipients, message),) = smtp_server.handler.received
    assert recipients == ["compta@client.example"]
    assert "Lettre de mission LM-2027-001" in message["Subject"]
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "LM-2027-001-v1.pdf"
    assert "Lettre de mission" in pdf_text(attachment.get_content())
    history = list(
        AuditEvent.objects.filter(
            target_type="engagements.engagement", target_id=str(engagement.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert history[-3:] == [
        "engagement_letter.created",
        "engagement_letter.sent",
        "engagement_letter.delivered",
    ]


def test_a_refused_email_is_on_the_history(smtp_server, alice, engagement, templates):
    smtp_server.handler.script = ["550 5.1.1 no such mailbox"]
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.send_letter(letter, by=alice, now=NOW)
    assert deliver(letter.emails.get().pk) == "failed"
    row = AuditEvent.objects.filter(target_id=str(engagement.pk)).order_by("id").last()
    assert row.action == "engagement_letter.refused" and "550" in row.details["reason"]


def test_signed_active_ended(alice, engagement, templates):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.upload_signed_copy(letter, by=alice, content=a_pdf(), filename="signée.pdf", now=NOW)
    letter.refresh_from_db()
    assert letter.status == "signed" and bytes(letter.signed_pdf).startswith(b"%PDF-")
    actions.activate_letter(letter, by=alice, now=NOW)
    actions.end_engagement(engagement, by=alice, end_date=datetime.date(2027, 6, 30))
    letter.refresh_from_db()
    assert letter.status == "ended"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 a zip named .pdf", "not_a_pdf"),
        (b"%PDF-1.7\nnothing after the header", "not_a_pdf"),
        (b"%PDF-" + b"0" * (10 * 2**20), "too_large"),
    ],
)
def test_a_signed_copy_that_is_not_a_pdf_is_refused(alice, engagement, templates, content, code):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    with pytest.raises(Invalid) as refused:
        actions.upload_signed_copy(letter, by=alice, content=content, filename="copie.pdf")
    assert refused.value.codes == {"file": [code]}
    letter.refresh_from_db()
    assert letter.status == "draft" and letter.signed_pdf is None


@pytest.mark.parametrize(("days", "code"), [(-2, "signed_before_letter"), (3, "signed_in_future")])
def test_a_signature_date_before_the_letter_or_to_come_is_refused(
    alice, engagement, templates, days, code
):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    day = letter.day if days < 0 else NOW.date()
    with translation.override("fr"), pytest.raises(Invalid) as refused:
        actions.upload_signed_copy(
            letter,
            by=alice,
            content=a_pdf(),
            signed_on=day + datetime.timedelta(days=days),
            now=NOW,
        )
    assert refused.value.codes == {"signed_on": [code]}
    if code == "signed_before_letter":
        said = str(refused.value.errors["signed_on"][0])
        assert f"datée du {Formatter('fr', 'EUR').date(letter.day)} :" in said
    letter.refresh_from_db()
    assert letter.status == "draft" and letter.signed_pdf is None


def test_a_letter_of_an_ended_engagement_is_not_sent(alice, engagement, templates):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.end_engagement(engagement, by=alice, end_date=datetime.date(2027, 6, 30))
    with pytest.raises(DomainError) as refused:
        actions.send_letter(letter, by=alice, now=NOW)
    assert refused.value.code == "engagement_ended"
    assert not letter.emails.exists()


def test_a_letter_for_an_old_version_is_refused(alice, engagement, templates):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.send_letter(letter, by=alice, now=NOW)
    actions.amend_engagement(engagement, by=alice, fields={"notice_months": 6})
    for step in (actions.send_letter, actions.activate_letter):
        with pytest.raises(DomainError) as refused:
            step(letter, by=alice, now=NOW)
        assert refused.value.code == "outdated_version"
    new = actions.create_letter(engagement, by=alice, template=templates["en"], now=NOW)
    assert new.version == 2 and "version 2" in pdf_text(bytes(new.pdf))
    assert EngagementLetter.objects.filter(engagement=engagement).count() == 2


def test_a_sent_letter_is_not_replaced_and_activation_needs_a_signature(
    alice, engagement, templates
):
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    with pytest.raises(DomainError) as unsigned:
        actions.activate_letter(letter, by=alice, now=NOW)
    assert unsigned.value.code == "invalid_transition"
    actions.send_letter(letter, by=alice, now=NOW)
    with pytest.raises(DomainError) as refused:
        actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    assert refused.value.code == "letter_exists"


def test_no_billing_contact_no_send(alice, engagement, templates):
    engagement.client.contacts.all().delete()
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    with pytest.raises(Invalid) as refused:
        actions.send_letter(letter, by=alice, now=NOW)
    assert refused.value.codes == {"to": ["no_recipient"]}


def test_only_the_owner_with_processing_manages_letters(engagement, templates, firm, make_user):
    stranger = make_user("zed", firm)
    with pytest.raises(DomainError):
        actions.create_letter(engagement, by=stranger, template=templates["fr"], now=NOW)
    assert not EngagementLetter.objects.exists()


def test_a_letter_without_its_own_terms_quotes_the_clients_or_the_firms(
    alice, make_engagement, client_entity, templates
):
    """Empty terms on the engagement: its invoices take the client's, else the firm's;
    the letter said "payables à réception" while they came due 30 days later."""
    engagement = make_engagement(reference="LM-2027-002")
    firm = client_entity.firm
    firm.default_payment_terms_days = 45
    firm.save()
    client_entity.payment_terms_days = None
    client_entity.save()
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    text = pdf_text(bytes(letter.pdf)).replace("\u202f", " ").replace("\xa0", " ")
    assert "payables à 45 jours" in text and "réception" not in text
    client_entity.payment_terms_days = 20
    client_entity.save()
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    text = pdf_text(bytes(letter.pdf)).replace("\u202f", " ").replace("\xa0", " ")
    assert "payables à 20 jours" in text
