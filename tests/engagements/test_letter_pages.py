"""The letter on the engagement's page and Settings → Letter templates, in French."""

import html

import pytest
from django.urls import reverse

from facturier.engagements import actions
from facturier.engagements.letter_models import LetterTemplate

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


@pytest.fixture
def engagement(make_engagement):
    return make_engagement()


def test_the_letter_made_from_the_page_and_the_list_filtered(client, alice, engagement, firm):
    (french, _english) = actions.seed_letter_templates(firm.pk)
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    assert (
        "La version 1 n'a pas encore de lettre." in html.unescape(page)
        and "Établir la lettre" in page
    )
    client.post(
        reverse("billing:engagement_letter_new", args=[engagement.pk]), {"template": french.pk}
    )
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    assert "Brouillon" in page and "Lettre de mission établie" in page
    drafts = client.get(reverse("billing:engagements") + "?letter_status=draft", **FR)
    assert "LM-2027-001" in drafts.content.decode()
    signed = client.get(reverse("billing:engagements") + "?letter_status=signed", **FR)
    assert "LM-2027-001" not in signed.content.decode()


def test_the_letter_is_proposed_in_the_clients_language(
    client, alice, make_engagement, make_client, firm
):
    """A French client's letter is proposed from the French template, though the English
    one comes first in the list; an English client's from the English one."""
    (french, english) = actions.seed_letter_templates(firm.pk)
    customers = {
        language: make_client(firm, name=language, language=language)
        for language in "fr en".split()
    }
    for customer in customers.values():
        customer.owners.add(alice)
    owner = type(alice).objects.get(pk=alice.pk)  # fresh: owns them
    client.force_login(owner)
    for language, expected in (("fr", french), ("en", english)):
        engagement = make_engagement(client=customers[language], by=owner, reference=language)
        page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR)
        chosen = page.content.decode().split('id="letter-template"', 1)[1].split("</select>")[0]
        assert f'<option value="{expected.pk}" selected>' in chosen
        assert chosen.count(" selected>") == 1


def test_a_non_pdf_signed_copy_is_refused_on_the_page(client, alice, engagement, firm):
    from django.core.files.uploadedfile import SimpleUploadedFile

    (french, _english) = actions.seed_letter_templates(firm.pk)
    letter = actions.create_letter(engagement, by=alice, template=french)
    client.force_login(alice)
    response = client.post(
        reverse("billing:engagement_letter_sign", args=[letter.pk]),
        {"file": SimpleUploadedFile("signée.pdf", b"just text, named .pdf")},
        follow=True,
        **FR,
    )
    assert "Le fichier n'est pas un document PDF." in html.unescape(response.content.decode())
    letter.refresh_from_db()
    assert letter.status == "draft"


def test_templates_in_settings_refuse_an_unknown_placeholder(client, settings_user):
    client.force_login(settings_user)
    response = client.post(
        reverse("settings:letter_templates"),
        {"name": "Courte", "language": "fr", "body": "Pour {client_nom}"},
        **FR,
    )
    assert response.status_code == 422
    assert "Champ inconnu {client_nom}" in response.content.decode()
    assert not LetterTemplate.objects.exists()
    client.post(reverse("settings:letter_templates"), {"seed": "1"})
    assert LetterTemplate.objects.filter(firm_id=settings_user.firm_id).count() == 2


def test_templates_need_the_settings_right_on_the_page(client, alice):
    client.force_login(alice)
    response = client.get(reverse("settings:letter_templates"), **FR)
    assert response.status_code == 302


def test_the_send_button_says_whom_the_letter_goes_to(client, alice, engagement, firm):
    """"Envoyer la lettre" e-mails the client at once: the page names the recipient
    beside it, and without a billing contact says what is missing, the button off."""
    from facturier.clients.models import Contact

    (french, _english) = actions.seed_letter_templates(firm.pk)
    client.force_login(alice)
    url = reverse("billing:engagement", args=[engagement.pk])
    client.post(
        reverse("billing:engagement_letter_new", args=[engagement.pk]), {"template": french.pk}
    )
    Contact.objects.filter(client=engagement.client).update(is_billing=False)
    Contact.objects.create(
        client=engagement.client,
        name="Jeanne Martin",
        email="jeanne@client.example",
        is_billing=True,
    )
    page = html.unescape(client.get(url, **FR).content.decode())
    send = page.split('id="letter-send"', 1)[1].split("</form>")[0]
    assert (
        "Par e-mail à Jeanne Martin <jeanne@client.example>, contact de facturation du client."
        in send
    )
    assert "disabled" not in send and "Envoyer la lettre" in send
    Contact.objects.filter(client=engagement.client).delete()
    page = html.unescape(client.get(url, **FR).content.decode())
    send = page.split('id="letter-send"', 1)[1].split("</form>")[0]
    assert "Aucun destinataire : ajoutez au client un contact de facturation" in send
    assert "disabled" in send
