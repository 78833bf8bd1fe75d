"""The FEC from the Exports page, in French, in Chromium: the page says which names it
writes with their nearest ISO 8859-15 letters, and the file it downloads passes the rules
of the DGFiP's checking tool."""

import datetime

import pytest
from playwright.sync_api import expect

from facturier.clients.models import Client
from facturier.receivables import fec
from tests.e2e.conftest import shot
from tests.receivables import fec_rules

pytestmark = pytest.mark.e2e


def test_the_fec_downloads_in_iso_8859_15_and_says_what_it_transliterated(open_as):
    year = datetime.date.today().year
    client = (
        Client.objects.filter(invoices__issue_date__year=year, invoices__number__gt="")
        .distinct()
        .first()
    )
    client.name = "Łódź Trading ‘Ōsaka’"
    client.save()
    page = open_as("alice")
    page.get_by_role("link", name="Exports").click()
    notice = page.get_by_role("status").filter(has_text="ISO 8859-15")
    expect(notice).to_contain_text("Le fichier est écrit en ISO 8859-15")
    expect(notice).to_contain_text("Łódź Trading ‘Ōsaka’ → Lódz Trading 'Osaka'")
    shot(page, "fec-notice")
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le FEC").click()
    data = download.value.path().read_bytes()
    firm = client.firm
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), year)
    assert download.value.suggested_filename == fec.fec_filename(firm, end)
    assert (
        fec_rules.problems(data, filename=fec.fec_filename(firm, end), start=start, end=end) == []
    )
    assert "Lódz Trading 'Osaka'".encode("iso-8859-15") in data
