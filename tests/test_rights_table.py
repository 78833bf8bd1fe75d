"""The README's "Who may do what" table, checked against the code.

Each row's "needs" cell is read as a rule over three facts about a user (owner of
the client, processing permission, settings right), and each action is probed in
the code for users with every combination of those facts. A row the code does not
follow, or an action this test cannot probe, fails.
"""

import datetime
import itertools
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django_otp.oath import totp

from facturier.access import actions as access_actions
from facturier.access import oidc
from facturier.clients import permissions as client_rights
from facturier.core.errors import NotAllowed
from facturier.engagements import actions as engagement_actions
from facturier.engagements import permissions as engagement_rights
from facturier.firms import actions as firm_actions
from facturier.firms.permissions import can_manage_settings
from facturier.invoicing import actions, permissions
from facturier.receivables.permissions import may_record

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parent.parent / "README.md"


def table() -> list[tuple[str, str]]:
    text = README.read_text()
    section = text[text.index("## Who may do what") :]
    section = section[: section.index("\n## ", 5)]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[0] not in ("action", "---"):
            rows.append((cells[0], cells[1]))
    return rows


def needs(cell: str, facts: dict[str, bool]) -> bool:
    """'owner and processing, or settings' over {'owner': ..., 'processing': ..., ...}."""
    if cell == "signed in":
        return True
    return any(
        all(facts[atom.strip()] for atom in alternative.split(" and "))
        for alternative in re.split(r",? or ", cell)
    )


@pytest.fixture
def world(firm, make_client, make_user, make_draft, template):
    client = make_client(firm, "Client SA")
    maker = make_user("maker", firm, processing=True, owns=[client])
    draft = make_draft(by=maker, client=client)
    finalized = actions.finalize_invoice(make_draft(by=maker, client=client), by=maker)
    closed = actions.close_invoice(
        actions.finalize_invoice(make_draft(by=maker, client=client), by=maker), by=maker
    )
    engagement_actions.create_engagement(
        client,
        by=maker,
        fields={
            "reference": "LM-1",
            "start_date": datetime.date(2027, 1, 1),
            "tacit_renewal": True,
        },
        missions=[{"name": "Tenue comptable", "fee_kind": "time"}],
    )
    return client, draft, finalized, closed


def user_with(make_user, firm, client, owner, processing, settings):
    name = f"u{int(owner)}{int(processing)}{int(settings)}"
    user = make_user(name, firm, processing=processing, owns=[client] if owner else [])
    if settings:
        user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
        user = type(user).objects.get(pk=user.pk)
    return user


def remind_refusal(user):
    """Sending a reminder now asks the same right as a payment (refused before anything)."""
    from facturier.core.errors import NotAllowed
    from facturier.receivables.actions.reminders import send_reminder_now

    try:
        send_reminder_now([], by=user)
    except NotAllowed as exc:
        return exc
    except Exception:  # noqa: BLE001 - allowed, then refused for the empty selection
        return None
    return None


def fec_allowed(user) -> bool:
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    response = browser.get("/billing/exports/", {"year": "2026"})
    return response.status_code == 200


def levels_allowed(user) -> bool:
    from facturier.core.errors import NotAllowed
    from facturier.receivables.actions.reminders import save_levels

    try:
        save_levels(user.firm_id, by=user, levels=[])
    except NotAllowed:
        return False
    return True


def direct_debits_allowed(user, client) -> bool:
    """Adding a mandate and exporting a batch: refused for the right, or allowed and then
    refused for the empty input (a mandate with no fields, a batch with nothing due)."""
    from facturier.core.errors import Invalid, NotAllowed
    from facturier.receivables import actions as receivables

    allowed = []
    for change in [
        lambda: receivables.create_mandate(client, by=user, fields={}),
        lambda: receivables.export_debit_batch(by=user),
    ]:
        try:
            change()
        except NotAllowed:
            allowed.append(False)
        except Invalid:
            allowed.append(True)
    assert len(set(allowed)) == 1, allowed
    return allowed[0]


def sepa_settings_allowed(user) -> bool:
    from facturier.core.errors import NotAllowed
    from facturier.receivables import actions as receivables

    try:
        receivables.save_sepa_settings(user.firm_id, by=user, fields={})
    except NotAllowed:
        return False
    return True


def ereporting_seen(user) -> bool:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    return client.get(reverse("billing:ereporting")).status_code == 200


def correction_allowed(user) -> bool:
    import datetime

    from facturier.core.errors import NotAllowed
    from facturier.einvoicing.ereporting import correct_report
    from facturier.einvoicing.models import EReport

    report = EReport(firm_id=user.firm_id, kind="payments", start=datetime.date(2026, 11, 1))
    try:
        correct_report(report, by=user, reason="probe")
    except NotAllowed:
        return False
    except Exception:  # noqa: BLE001 - past the rights check: allowed (no such platform here)
        return True
    return True


def webhook_allowed(user) -> bool:
    from facturier.core.errors import NotAllowed
    from facturier.einvoicing.models import Platform
    from facturier.einvoicing.webhook import change_webhook_key

    platform = Platform.objects.filter(firm=user.firm).first() or Platform.objects.create(
        firm=user.firm,
        base_url="https://pa.example/flow-service",
        token_url="https://pa.example/token",
        client_id="id",
        client_secret="secret",
    )
    try:
        change_webhook_key(platform, by=user)
    except NotAllowed:
        return False
    return True


def platform_allowed(user) -> bool:
    from facturier.core.errors import NotAllowed
    from facturier.einvoicing.actions import save_platform

    try:
        save_platform(
            user.firm,
            by=user,
            fields={
                "base_url": "https://pa.example/flow-service",
                "token_url": "https://pa.example/token",
                "client_id": "id",
                "client_secret": "secret",
            },
        )
    except NotAllowed:
        return False
    return True


def retry_all_allowed(user) -> bool:
    from facturier.core.errors import NotAllowed
    from facturier.outbox.retrying import retry_failed_deliveries

    try:
        retry_failed_deliveries(by=user)
    except NotAllowed:
        return False
    return True


def invite_allowed(user) -> bool:
    from facturier.access.actions import invite_member
    from facturier.core.errors import NotAllowed

    try:
        invite_member(
            by=user, email=f"{user.username}@new.example", rights=[], site="/", language="en"
        )
    except NotAllowed:
        return False
    return True


def index_allowed(user) -> bool:
    import datetime
    from decimal import Decimal

    from facturier.core.errors import NotAllowed
    from facturier.engagements.actions import save_index_value

    try:
        save_index_value("Syntec", by=user, date=datetime.date(2027, 1, 1), value=Decimal(100))
    except NotAllowed:
        return False
    return True


def letter_allowed(user, client) -> bool:
    """Making the letter of the client's engagement (as its owner with processing)."""
    from facturier.core.errors import NotAllowed, NotFound
    from facturier.engagements.letter_models import LetterTemplate
    from facturier.engagements.models import Engagement

    engagement = Engagement.objects.get(client=client)
    engagement_actions.seed_letter_templates(client.firm_id)
    template = LetterTemplate.objects.filter(firm_id=client.firm_id).first()
    try:
        engagement_actions.create_letter(engagement, by=user, template=template)
    except (NotAllowed, NotFound):
        return False
    return True


def letter_template_allowed(user) -> bool:
    from facturier.core.errors import NotAllowed
    from facturier.engagements.actions import save_letter_template

    try:
        save_letter_template(
            None,
            by=user,
            fields={"name": f"T-{user.pk}", "language": "en", "body": "{client_name}"},
        )
    except NotAllowed:
        return False
    return True


def thresholds_allowed(user) -> bool:
    from facturier.engagements.actions import set_budget_thresholds

    try:
        set_budget_thresholds(by=user, first=80, second=100)
    except NotAllowed:
        return False
    return True


def budget_allowed(user, client) -> bool:
    """Adding a budget to a mission of the client's engagement, refused or made."""
    from facturier.core.errors import NotFound
    from facturier.engagements.actions import add_budget
    from facturier.engagements.models import Mission

    mission = Mission.objects.filter(engagement__client=client).first()
    try:
        add_budget(mission, by=user, year=2027, hours=10, fees=1000)
    except (NotAllowed, NotFound):  # a mission one does not see is not one's to manage
        return False
    mission.budgets.all().delete()
    return True


def members_allowed(user) -> bool:
    """Each change refused to a user without the right, allowed (as a no-op) with it."""
    from facturier.access import actions as access_actions
    from facturier.clients import actions as client_actions
    from facturier.core.errors import NotAllowed

    changes = [
        lambda: access_actions.reactivate_member(user, by=user),
        lambda: client_actions.set_owned_clients(
            user, by=user, client_ids=list(user.owned_clients.values_list("pk", flat=True))
        ),
        lambda: access_actions.set_member_rights(user, by=user, rights=list(direct_rights(user))),
    ]
    allowed = []
    for change in changes:
        try:
            change()
        except NotAllowed:
            allowed.append(False)
        else:
            allowed.append(True)
    assert len(set(allowed)) == 1, allowed
    return allowed[0]


def direct_rights(user) -> set[str]:
    from facturier.access.staff import rights_of

    return {name for name, how in rights_of(user).items() if how == "direct"}


def clients_listed(user, client) -> bool:
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    response = browser.get("/billing/clients/", {"q": client.name})
    return f"/billing/clients/{client.pk}/" in response.content.decode()


def archive_allowed(user, client) -> bool:
    from facturier.clients import actions as client_actions
    from facturier.core.errors import NotAllowed, NotFound

    try:
        client_actions.archive_client(client, by=user)
    except (NotAllowed, NotFound):
        return False
    client_actions.archive_client(client, by=user, archived=False)
    return True


def import_allowed(user) -> bool:
    from facturier.clients import imports
    from facturier.core.errors import NotAllowed

    try:
        imports.dry_run(user, b"name\nA\n")
    except NotAllowed:
        return False
    return True


def contact_allowed(user, client) -> bool:
    from facturier.clients import actions as client_actions
    from facturier.core.errors import NotAllowed, NotFound

    try:
        contact = client_actions.add_contact(client, by=user, name="P", email="p@p.example")
    except (NotAllowed, NotFound):
        return False
    client_actions.remove_contact(contact, by=user)
    return True


def portal_allowed(user, client) -> bool:
    from facturier.core.errors import NotAllowed, NotFound
    from facturier.portal import actions as portal_actions

    try:
        access = portal_actions.invite_contact(
            client, by=user, contact=client.contacts.first(), site="http://testserver/"
        )
    except (NotAllowed, NotFound):
        return False
    portal_actions.revoke_access(access, by=user)
    return True


def totp_allowed(user) -> bool:
    key = access_actions.new_totp_key()
    code = f"{totp(bytes.fromhex(key)):06d}"
    try:
        access_actions.enable_totp(by=user, key=key, code=code)
    except NotAllowed:
        return False
    return access_actions.has_second_factor(user)


def two_factors_rule_allowed(user) -> bool:
    try:
        firm_actions.update_firm_settings(
            user.firm_id, by=user, fields={"two_factors_required": True}
        )
    except NotAllowed:
        return False
    firm_actions.update_firm_settings(user.firm_id, by=user, fields={"two_factors_required": False})
    return True


def sso_allowed(user) -> bool:
    found = oidc.Discovery("https://id.example", *(f"https://id.example/{p}" for p in "atk"))
    fields = {"issuer": "https://id.example", "client_id": "c", "client_secret": "s"}
    try:
        access_actions.save_single_sign_on(
            user.firm, by=user, fields=fields, discover=lambda issuer: found
        )
    except NotAllowed:
        return False
    return access_actions.remove_single_sign_on(by=user)


def two_factors_reset_allowed(user, make_user) -> bool:
    colleague = make_user(f"colleague-{user.pk}", user.firm)
    key = access_actions.new_totp_key()
    access_actions.enable_totp(by=colleague, key=key, code=f"{totp(bytes.fromhex(key)):06d}")
    try:
        access_actions.reset_two_factors(colleague, by=user)
    except NotAllowed:
        return False
    return not access_actions.has_second_factor(colleague)


def contact_data_allowed(user, client) -> bool:
    """Exporting a contact's data and erasing another's (made for the probe)."""
    from facturier.clients.models import Contact
    from facturier.privacy import actions as privacy

    erased = Contact.objects.create(client=client, name="P", email="p@p.example")
    allowed = []
    for change in [
        lambda: privacy.export_contact_data(client.contacts.first(), by=user),
        lambda: privacy.erase_contact(erased, by=user, reason="probe"),
    ]:
        try:
            change()
        except NotAllowed:
            allowed.append(False)
        else:
            allowed.append(True)
    assert len(set(allowed)) == 1, allowed
    return allowed[0]


def member_data_allowed(user, make_user) -> bool:
    """Exporting a colleague's data and erasing a deactivated one's."""
    from facturier.privacy import actions as privacy

    colleague = make_user(f"former-{user.pk}", user.firm)
    type(colleague).objects.filter(pk=colleague.pk).update(is_active=False)
    allowed = []
    for change in [
        lambda: privacy.export_member_data(colleague, by=user),
        lambda: privacy.erase_member(colleague, by=user, reason="probe"),
    ]:
        try:
            change()
        except NotAllowed:
            allowed.append(False)
        else:
            allowed.append(True)
    assert len(set(allowed)) == 1, allowed
    return allowed[0]


def own_data_allowed(user) -> bool:
    from facturier.privacy import actions as privacy

    try:
        privacy.export_member_data(user, by=user)
    except NotAllowed:
        return False
    return True


def retention_allowed(user) -> bool:
    try:
        firm_actions.update_firm_settings(
            user.firm_id, by=user, fields={"personal_data_retention_years": 4}
        )
    except NotAllowed:
        return False
    return True


def probes(client, draft, finalized, closed, make_user):
    def owner_and_processing(user, name, invoice):
        return permissions.may(name, user, invoice)

    return {
        "see an invoice, view and print its PDF": lambda u: permissions.can_view(u, finalized),
        "see closed invoices (Status: Closed)": lambda u: permissions.can_view(u, closed),
        "create, edit and delete drafts (deposit invoices and their deductions too)": lambda u: (
            permissions.create_refusal(u, client.pk) is None
            and owner_and_processing(u, "edit", draft)
            and owner_and_processing(u, "delete", draft)
        ),
        "finalize": lambda u: owner_and_processing(u, "finalize", draft),
        "send, resend": lambda u: owner_and_processing(u, "send", finalized),
        "close, revert to Finalized": lambda u: (
            owner_and_processing(u, "close", finalized)
            and owner_and_processing(u, "reopen", closed)
        ),
        "create a credit note for a finalized or closed invoice": lambda u: (
            owner_and_processing(u, "credit", finalized)
            and owner_and_processing(u, "credit", closed)
        ),
        "see an engagement, its next invoices and billed periods": lambda u: (
            engagement_rights.visible_engagements(u).filter(client=client).exists()
        ),
        "create, amend and end an engagement, pause and resume its billing": lambda u: (
            engagement_rights.manage_refusal(u, client.pk) is None
        ),
        "make, send, sign (upload the signed copy) and activate an engagement letter": lambda u: (
            letter_allowed(u, client)
        ),
        "bill the periods due (of the clients one owns)": lambda u: (
            engagement_rights.run_refusal(u) is None
        ),
        "see budgets against actuals (an engagement's and the report)": lambda u: (
            engagement_rights.visible_engagements(u).filter(client=client).exists()
        ),
        "add, change and remove a mission's budget": lambda u: budget_allowed(u, client),
        "set the budget alert thresholds": thresholds_allowed,
        "record, correct and remove payments, allocate and refund credit": may_record,
        "see a client's payments, credit and account": lambda u: (
            client_rights.visible_clients(u).filter(pk=client.pk).exists()
        ),
        "send a reminder, pause reminders, e-mail a statement of account": lambda u: (
            remind_refusal(u) is None
        ),
        "retry a failed e-mail of an invoice": lambda u: owner_and_processing(
            u, "retry", finalized
        ),
        "retry a failed letter or platform deposit, retry all failed": retry_all_allowed,
        "export the FEC (the whole firm's books)": lambda u: fec_allowed(u),
        "set the reminder levels and the ledger accounts": lambda u: levels_allowed(u),
        "add, sign, suspend and revoke a client's direct-debit mandates, schedule an invoice's "
        "debit, export a direct-debit batch": lambda u: direct_debits_allowed(u, client),
        "set the firm's direct-debit creditor identifier, collection account, pre-notification "
        "delay and scheme": sepa_settings_allowed,
        "see the e-reporting periods and files, retry a failed one": lambda u: ereporting_seen(u),
        "send an e-reporting correction": lambda u: correction_allowed(u),
        "set the firm's e-invoicing platform, change the address of its calls": lambda u: (
            platform_allowed(u) and webhook_allowed(u)
        ),
        "type the index values fees are revised by": lambda u: index_allowed(u),
        "write the engagement letter templates": lambda u: letter_template_allowed(u),
        "manage invoice templates, the firm's identity and numbering": can_manage_settings,
        "see a client in the Clients list": lambda u: clients_listed(u, client),
        "create clients and choose their owners": lambda u: client_rights.can_administer(
            u, client.firm_id
        ),
        "archive, restore, delete or merge clients, import clients from a CSV file": lambda u: (
            archive_allowed(u, client) and import_allowed(u)
        ),
        "change a client's details": lambda u: (
            client_rights.can_administer(u, client.firm_id)
            or client_rights.lacking_owner_and_processing(u, client.pk) is None
        ),
        "invite staff, resend and revoke invitations": invite_allowed,
        "set a member's rights and the clients they own, deactivate and reactivate them": (
            members_allowed
        ),
        "add, change and remove a client's contacts": lambda u: contact_allowed(u, client),
        "invite a client's contacts to the client portal, revoke their access": lambda u: (
            portal_allowed(u, client)
        ),
        "create and revoke one's own API tokens": lambda u: u.is_authenticated,
        "set up and remove one's own authenticator app and recovery codes": totp_allowed,
        "require two factors of every member of the firm": two_factors_rule_allowed,
        'set the firm\'s single sign-on (its provider, "SSO only")': sso_allowed,
        "reset a member's two-factor sign-in (app and recovery codes lost)": lambda u: (
            two_factors_reset_allowed(u, make_user)
        ),
        "export a client's contact's personal data, erase it": lambda u: contact_data_allowed(
            u, client
        ),
        "export a member's personal data, erase a deactivated member's": lambda u: (
            member_data_allowed(u, make_user)
        ),
        "export one's own personal data": own_data_allowed,
        "set how long former contacts' and staff's personal data is kept": retention_allowed,
    }


def test_the_readme_table_is_what_the_code_does(world, firm, make_user):
    client, draft, finalized, closed = world
    rows = table()
    probe = probes(client, draft, finalized, closed, make_user)
    assert [action for action, _needs in rows] == list(probe), "a row without a probe"
    for owner, processing, settings in itertools.product([False, True], repeat=3):
        user = user_with(make_user, firm, client, owner, processing, settings)
        facts = {"owner": owner, "processing": processing, "settings": settings}
        for action, cell in rows:
            assert probe[action](user) == needs(cell, facts), (action, facts)
