"""Every portal page reads within the contact's client: another client's id answers 404
exactly as an id that does not exist, for every URL; and what the contact opens is on
the invoice's history, which the firm reads."""

import re
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.urls import get_resolver

from facturier.firms.models import AuditEvent

pytestmark = pytest.mark.django_db


def portal_routes() -> list[str]:
    """Every portal URL pattern with an id, as a route ("invoices/<id:pk>/pdf/")."""
    [portal] = [p for p in get_resolver().url_patterns if str(p.pattern) == "portal/"]
    return [str(p.pattern) for p in portal.url_patterns if "<id:pk>" in str(p.pattern)]


def fill(route: str, ids: dict[str, int]) -> str:
    folder = re.search(r"([\w-]+)/<id:pk>", route)[1]
    return "/portal/" + route.replace("<id:pk>", str(ids[folder]))


def _without_tokens(page: bytes) -> bytes:
    """A page without its CSRF token (new on each answer)."""
    return re.sub(rb"[A-Za-z0-9]{64}", b"", page)


def test_every_url_with_another_clients_id_answers_404_as_a_missing_one(
    portal, issued, mandate, other_client, letter, other_letter
):
    routes = portal_routes()
    assert len(routes) == 9
    own = {"invoices": issued[0].pk, "mandates": mandate.pk, "letters": letter.pk}
    others = {
        "invoices": other_client["invoice"].pk,
        "mandates": other_client["mandate"].pk,
        "letters": other_letter.pk,
    }
    missing = {"invoices": 999999, "mandates": 999999, "letters": 999999}
    for route in routes:
        assert portal.get(fill(route, own)).status_code == 200, route
        theirs, nothing = portal.get(fill(route, others)), portal.get(fill(route, missing))
        assert theirs.status_code == nothing.status_code == 404, route
        # The same page, but for the address it names.
        said = theirs.content.replace(fill(route, others).encode(), fill(route, missing).encode())
        assert _without_tokens(said) == _without_tokens(nothing.content), route
    # Signing another client's mandate: the same 404, and it stays pending.
    answer = portal.post(
        f"/portal/mandates/{others['mandates']}/",
        {"signer_name": "Jeanne Martin", "accepted": "on", "document_sha256": "0" * 64},
    )
    assert answer.status_code == 404
    other_client["mandate"].refresh_from_db()
    assert other_client["mandate"].status == "pending"
    answer = portal.post(
        f"/portal/letters/{others['letters']}/",
        {"signer_name": "Jeanne Martin", "accepted": "on", "document_sha256": "0" * 64},
    )
    assert answer.status_code == 404
    other_letter.refresh_from_db()
    assert other_letter.status == "sent"
    # Another client's invoice opened by nobody: nothing on its history.
    assert not AuditEvent.objects.filter(
        action="invoice.opened_by_client", target_id=str(others["invoices"])
    ).exists()


def test_a_draft_is_never_shown(portal, make_draft, issued):
    draft = make_draft()
    assert portal.get(f"/portal/invoices/{draft.pk}/").status_code == 404
    assert f"/portal/invoices/{draft.pk}/" not in portal.get("/portal/documents/").content.decode()
    assert f"/portal/invoices/{issued[1].pk}/" in portal.get("/portal/documents/").content.decode()


def test_opening_and_downloading_are_on_the_invoice_history(portal, issued, alice):
    invoice = issued[0]
    assert portal.get(f"/portal/invoices/{invoice.pk}/").status_code == 200
    pdf = portal.get(f"/portal/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xml = portal.get(f"/portal/invoices/{invoice.pk}/factur-x.xml")
    assert b"CrossIndustryInvoice" in xml.content
    ubl = portal.get(f"/portal/invoices/{invoice.pk}/ubl.xml")
    assert b"urn:oasis:names:specification:ubl" in ubl.content
    events = AuditEvent.objects.filter(action="invoice.opened_by_client", target_id=str(invoice.pk))
    assert [e.details["opened"] for e in events.order_by("pk")] == ["page", "pdf", "facturx", "ubl"]
    staff = Browser()
    staff.force_login(alice)
    page = staff.get(f"/billing/invoices/{invoice.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    # Who opened what; the row says when, once (it read "… le 07/12/2026 18:21" too).
    assert "onsultée par le client (Jeanne Martin, Factur-X)" in text
    assert "onsultée par le client le " not in text
    english = staff.get(f"/billing/invoices/{invoice.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "opened by the client (Jeanne Martin, Factur-X)" in english.content.decode()


def test_the_transfer_panel_gives_what_a_banking_app_needs(portal, issued):
    invoice = issued[1]
    page = portal.get(f"/portal/invoices/{invoice.pk}/").content.decode()
    assert "Payer par virement" in page
    assert "FR14 2004 1010 0505 0001 3M02 606" in page and "PSSTFRPPPAR" in page
    assert "300,00\u00a0€" in page
    qr = portal.get(f"/portal/invoices/{invoice.pk}/epc-qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content


def test_the_epc_code_carries_the_balance_and_the_reference(issued):
    import io

    import zxingcpp
    from PIL import Image

    from facturier.portal.selectors import owed_now_snapshot, transfer_qr_svg

    invoice = issued[1]
    svg = transfer_qr_svg(invoice)
    assert svg is not None
    import segno  # noqa: F401  (the code was made by segno; read it back from a PNG)

    from facturier.invoicing.documents.epc import epc_code

    def scanned(invoice) -> list[str]:
        png = io.BytesIO()
        epc_code(owed_now_snapshot(invoice)).save(png, kind="png", scale=4)
        [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.getvalue())))
        return read.text.splitlines()

    lines = scanned(invoice)
    assert "EUR300" in lines and invoice.payment_reference in lines
    # An invoice deducting a 100 deposit, of which 50 is paid since: the code asks for
    # the balance, the deposit not taken off a second time.
    invoice.snapshot = {**invoice.snapshot, "prepaid": {"amount": "100.00", "deposits": []}}
    invoice.balance = Decimal("150.00")
    assert "EUR150" in scanned(invoice)


def test_statement_of_account_for_a_period(portal, issued):
    page = portal.get(
        "/portal/statement/",
        {"start": "01/01/2026", "end": "31/12/2026"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert issued[1].number in text and "Solde de clôture" in text
    pdf = portal.get("/portal/statement/pdf/", {"start": "2026-01-01", "end": "2026-12-31"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    wrong = portal.get("/portal/statement/", {"start": "31/12/2026", "end": "01/01/2026"})
    assert wrong.status_code == 422
