"""The icon browsers ask for on every page: no 404 in the console."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("facturier/favicon.svg")
    icon = finders.find("facturier/favicon.svg")
    assert icon and open(icon).read().startswith("<svg")


def test_every_page_names_its_icon(client):
    page = client.get("/login/").content.decode()
    icon = static("facturier/favicon.svg")
    assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in page
