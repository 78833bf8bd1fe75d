"""The Finalize dialog as a page of its own (what the editor's Finalize button opens):
its Cancel, × and Escape go back to where it was opened from, not to an empty page."""

import html

import pytest
from django.urls import reverse

from tests.web.test_views import LINES

pytestmark = pytest.mark.django_db


def return_of(page: str) -> str:
    start = page.index("<dialog open data-autoshow")
    tag = page[start : page.index(">", start)]
    return html.unescape(tag.split('data-return="', 1)[1].split('"', 1)[0])


def test_finalize_from_the_editor_returns_to_the_editor(client, alice, draft, template):
    client.force_login(alice)
    edit = reverse("billing:invoice_edit", args=[draft.pk])
    response = client.post(
        edit, {"client": draft.client_id, "issue_date": "2026-12-08", "then": "finalize", **LINES}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert return_of(page) == edit


def test_the_finalize_page_opened_by_address_returns_to_the_invoice(client, alice, draft, template):
    client.force_login(alice)
    page = client.get(reverse("billing:invoice_finalize", args=[draft.pk])).content.decode()
    assert return_of(page) == reverse("billing:invoice", args=[draft.pk])


def test_a_return_to_another_site_is_not_followed(client, alice, draft, template):
    client.force_login(alice)
    url = reverse("billing:invoice_finalize", args=[draft.pk]) + "?next=https://evil.example/"
    page = client.get(url).content.decode()
    assert return_of(page) == reverse("billing:invoice", args=[draft.pk])
