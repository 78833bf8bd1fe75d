"""The deposit an engagement asks at signature: drafted when the letter is signed (a
percentage of the first year's fixed fees, or an amount), once; refused with codes."""

import datetime
from decimal import Decimal

import pytest

from facturier.core.errors import Invalid
from facturier.engagements import actions
from facturier.invoicing.models import Invoice

from .conftest import MONTHLY
from .test_letters import NOW, a_pdf

pytestmark = pytest.mark.django_db


def test_signing_the_letter_drafts_the_deposit_once(alice, make_engagement, firm):
    engagement = make_engagement(missions=[MONTHLY], deposit_percent="25")
    templates = {row.language: row for row in actions.seed_letter_templates(firm.pk)}
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.upload_signed_copy(letter, by=alice, content=a_pdf(), now=NOW)
    engagement.refresh_from_db()
    deposit = engagement.deposit_invoice
    assert deposit.deposit and deposit.status == "draft"
    assert deposit.total_net == Decimal("3000.00")  # 25 % of 12,000
    assert "LM-2027-001" in deposit.lines.get().description
    # Signed again (a new copy): no second deposit.
    actions.upload_signed_copy(letter, by=alice, content=a_pdf(), now=NOW)
    assert Invoice.objects.filter(deposit=True).count() == 1
    with pytest.raises(Invalid) as refused:
        actions.draft_engagement_deposit(engagement, by=alice)
    assert refused.value.codes == {"deposit": ["deposit_exists"]}


def test_the_button_drafts_an_amount(alice, make_engagement):
    engagement = make_engagement(missions=[MONTHLY], deposit_amount="1500")
    invoice = actions.draft_engagement_deposit(engagement, by=alice)
    assert invoice.total_net == Decimal("1500.00") and invoice.deposit


def test_the_deposit_bears_the_vat_rate_of_the_fees_it_pays(alice, make_engagement, firm):
    """Missions at 10 %: the deposit is at 10 %, not the firm's default 20 %; missions at
    different rates leave the firm's default."""
    assert firm.default_vat_rate == Decimal("20.00")
    reduced = {**MONTHLY, "vat_rate": "10"}
    engagement = make_engagement(missions=[reduced], deposit_percent="10")
    assert actions.deposit_value(engagement) == Decimal("1200.00")  # 10 % of 12,000
    invoice = actions.draft_engagement_deposit(engagement, by=alice)
    assert invoice.lines.get().vat_rate == Decimal("10.00")
    assert (invoice.total_net, invoice.total_vat) == (Decimal("1200.00"), Decimal("120.00"))
    mixed = make_engagement(
        reference="LM-2027-002",
        missions=[reduced, {**MONTHLY, "name": "Paie"}],
        deposit_amount="500",
    )
    invoice = actions.draft_engagement_deposit(mixed, by=alice)
    assert invoice.lines.get().vat_rate == Decimal("20.00")


def test_the_deposit_is_due_on_the_engagements_terms(alice, make_engagement, client_entity):
    """The engagement says 45 days: its periodic invoices were due in 45 days, its
    deposit invoice in the client's (or the firm's) 30."""
    client_entity.payment_terms_days = 30
    client_entity.save()
    engagement = make_engagement(missions=[MONTHLY], deposit_amount="1500", payment_terms_days=45)
    invoice = actions.draft_engagement_deposit(engagement, by=alice)
    assert invoice.payment_terms_days == 45
    assert invoice.due_date == invoice.issue_date + datetime.timedelta(days=45)
    # Without terms of its own, the client's, as any invoice.
    other = make_engagement(missions=[MONTHLY], deposit_amount="100", reference="LM-2027-002")
    assert actions.draft_engagement_deposit(other, by=alice).payment_terms_days == 30


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({}, "deposit_amount", "no_deposit"),
    ],
)
def test_refusals(alice, make_engagement, fields, field, code):
    engagement = make_engagement(missions=[MONTHLY], **fields)
    with pytest.raises(Invalid) as refused:
        actions.draft_engagement_deposit(engagement, by=alice)
    assert refused.value.codes == {field: [code]}
    assert not Invoice.objects.exists()


def test_an_amount_and_a_percentage_are_not_both_given(make_engagement):
    with pytest.raises(Invalid) as refused:
        make_engagement(
            missions=[MONTHLY],
            deposit_amount="100",
            deposit_percent="10",
            start_date=datetime.date(2027, 1, 1),
        )
    assert refused.value.codes == {"deposit_percent": ["conflict"]}


TIME = {"name": "Conseil", "fee_kind": "time", "vat_rate": "20"}


def test_a_deposit_on_time_based_missions_only_is_an_amount(alice, make_engagement, firm):
    engagement = make_engagement(missions=[TIME], deposit_amount="800")
    templates = {row.language: row for row in actions.seed_letter_templates(firm.pk)}
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.upload_signed_copy(letter, by=alice, content=a_pdf(), now=NOW)
    engagement.refresh_from_db()
    assert engagement.deposit_invoice.total_net == Decimal("800.00")


def test_a_deposit_not_drafted_never_blocks_the_signed_copy(alice, make_engagement, firm, client):
    from django.urls import reverse

    from facturier.engagements.models import Engagement

    engagement = make_engagement(missions=[TIME])
    # A percentage of no fixed fees (set before the check at saving existed).
    Engagement.objects.filter(pk=engagement.pk).update(deposit_percent=Decimal("30"))
    templates = {row.language: row for row in actions.seed_letter_templates(firm.pk)}
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.upload_signed_copy(letter, by=alice, content=a_pdf(), now=NOW)
    letter.refresh_from_db()
    assert letter.status == "signed"
    assert not Invoice.objects.filter(deposit=True).exists()
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk])).content.decode()
    assert 'id="deposit-to-draft"' in page


@pytest.mark.parametrize(
    ("missions", "fields", "field", "code"),
    [
        ([MONTHLY], {"deposit_amount": "20000"}, "deposit_amount", "exceeds_fees"),
        ([TIME], {"deposit_percent": "30"}, "deposit_percent", "no_fees"),
    ],
)
def test_a_deposit_beyond_the_fees_is_refused_when_saved(
    make_engagement, missions, fields, field, code
):
    from facturier.engagements.models import Engagement

    with pytest.raises(Invalid) as refused:
        make_engagement(missions=missions, **fields)
    assert refused.value.codes == {field: [code]}
    assert not Engagement.objects.exists()
