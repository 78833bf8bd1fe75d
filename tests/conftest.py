from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from facturier.access.actions import issue_token
from facturier.clients.models import Client, Contact
from facturier.firms.models import Firm, User
from facturier.invoicing import actions
from facturier.invoicing.models import InvoiceSequence, InvoiceTemplate


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in CI's PostgreSQL pass")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
    # pytest-xdist's scope-based schedulers keep one entry per test id: the API fuzz's
    # cases share one, so all but one would be dropped without a word.
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope", "loadgroup"):
        ids = Counter(item.nodeid for item in items)
        if shared := sorted(nodeid for nodeid, count in ids.items() if count > 1):
            raise pytest.UsageError(
                f"--dist {config.option.dist} would run one of the tests sharing an id: "
                f"{shared[0]} (and {len(shared) - 1} more); use --dist worksteal or load"
            )


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's default language and leaves none behind: a page
    asked in French activates French for the rest of the thread (Django's locale
    middleware does not switch back), which would otherwise reach the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def make_firm(db):
    def make(name="Cabinet Test", **fields):
        defaults = dict(
            address_line1="1 rue de Rivoli",
            postal_code="75001",
            city="Paris",
            siren="123456782",
            vat_number="FR11123456782",
        )
        firm = Firm.objects.create(name=name, **{**defaults, **fields})
        InvoiceSequence.objects.create(firm=firm)
        return firm

    return make


@pytest.fixture
def firm(make_firm):
    return make_firm()


@pytest.fixture
def make_user(db):
    process = Permission.objects.get(codename="process_invoices")

    def make(username, firm, *, processing=False, owns=()):
        user = User.objects.create_user(username, password="pw-" + username, firm=firm)
        if processing:
            user.user_permissions.add(process)
        for client in owns:
            client.owners.add(user)
        return User.objects.get(pk=user.pk)  # fresh: no cached permissions

    return make


@pytest.fixture
def make_client(db):
    def make(firm, name="Client SA", **fields):
        defaults = dict(
            address_line1="2 rue du Bac",
            postal_code="75007",
            city="Paris",
            language="fr",
            currency="EUR",
        )
        client = Client.objects.create(firm=firm, name=name, **{**defaults, **fields})
        Contact.objects.create(
            client=client, name="Compta", email="compta@client.example", is_billing=True
        )
        return client

    return make


@pytest.fixture
def client_entity(firm, make_client):
    return make_client(firm)


@pytest.fixture
def staff(firm, client_entity, make_user):
    """One user per combination of rights on `client_entity`."""
    return {
        "owner_processor": make_user("alice", firm, processing=True, owns=[client_entity]),
        "owner_only": make_user("bob", firm, owns=[client_entity]),
        "processor_only": make_user("carol", firm, processing=True),
        "neither": make_user("dave", firm),
    }


@pytest.fixture
def alice(staff):
    return staff["owner_processor"]


@pytest.fixture
def template(firm):
    return InvoiceTemplate.objects.create(firm=firm, name="Standard", is_default=True)


LINE = {"description": "Tenue comptable", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


@pytest.fixture
def make_draft(alice, client_entity):
    def make(*, by=None, client=None, lines=None, **fields):
        return actions.create_draft(
            by=by or alice, client=client or client_entity, lines=lines or [LINE], **fields
        )

    return make


@pytest.fixture
def draft(make_draft):
    return make_draft()


@pytest.fixture
def finalized(draft, alice, template):
    return actions.finalize_invoice(draft, by=alice)


@pytest.fixture
def closed(finalized, alice):
    return actions.close_invoice(finalized, by=alice)


def money(value: str) -> Decimal:
    return Decimal(value)


def pytest_configure(config):
    from django.conf import settings

    # Hashing passwords at full strength costs ~0.3 s per user; tests make hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests serve static files from the apps, not from a collected manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def smtp_server(settings):
    from facturier.email_url import email_settings_from_url
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    for name, value in email_settings_from_url(server.url).items():
        setattr(settings, name, value)
    yield server
    server.stop()


@pytest.fixture
def api_for():
    def make(user):
        _token, raw = issue_token(by=user, name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def api(api_for, alice):
    return api_for(alice)
