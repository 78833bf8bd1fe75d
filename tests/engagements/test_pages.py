"""The Engagements tab in French: an engagement typed as a French user types it, its
page, the refusals beside their fields, and the billing run's button."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.engagements import actions
from facturier.engagements.models import Engagement
from facturier.invoicing.models import Invoice

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def form(alice, client_entity, **changes):
    data = {
        "reference": "LM-2027-007",
        "client": str(client_entity.pk),
        "responsible": str(alice.pk),
        "start_date": "15/01/2027",
        "end_date": "",
        "tacit_renewal": "on",
        "notice_months": "3",
        "payment_terms_days": "30",
        "payment_method": "direct_debit",
        "indexation": "percent",
        "indexation_percent": "3,2",
        "revision_day": "1",
        "revision_month": "1",
        "mission-0-name": "Tenue comptable",
        "mission-0-fee_kind": "fixed",
        "mission-0-annual_fee": "12 000,00",
        "mission-0-vat_rate": "20",
        "mission-0-frequency": "quarterly",
        "mission-0-timing": "advance",
        "mission-0-billing_day": "1",
        "mission-1-name": "Bilan",
        "mission-1-fee_kind": "both",
        "mission-1-annual_fee": "1 000",
        "mission-1-vat_rate": "20",
        "mission-1-time_cap": "500,50",
        "mission-1-frequency": "instalments",
        "mission-1-timing": "advance",
        "mission-1-billing_day": "1",
        "mission-1-instalments": "31/03/2027 400\n30/09/2027 600,00",
    }
    for index in (2,):
        data.update({f"mission-{index}-fee_kind": "fixed", f"mission-{index}-vat_rate": "20"})
        data.update({f"mission-{index}-frequency": "monthly", f"mission-{index}-timing": "advance"})
        data[f"mission-{index}-billing_day"] = "1"
    return {**data, **changes}


def test_an_engagement_typed_in_french(client, alice, client_entity):
    client.force_login(alice)
    page = client.get(reverse("billing:engagements"), **FR).content.decode()
    assert "Lettres de mission" in page and "Facturer les échéances" in page
    response = client.post(reverse("billing:engagement_new"), form(alice, client_entity), **FR)
    errors = re.findall(r"field-error[^>]*>([^<]*)", response.content.decode())
    assert response.status_code == 302, errors
    engagement = Engagement.objects.get()
    assert engagement.start_date == datetime.date(2027, 1, 15)
    assert engagement.indexation_percent == Decimal("3.2")
    assert engagement.payment_method == "direct_debit"
    fixed, yearly = engagement.missions.all()
    assert fixed.annual_fee == Decimal("12000.00")
    assert yearly.time_cap == Decimal("500.50")
    assert list(yearly.instalments.values_list("amount", flat=True)) == [
        Decimal("400"),
        Decimal("600"),
    ]
    page = client.get(response["Location"], **FR).content.decode()
    assert "Prochaines factures" in page
    assert "prorata 76/90 jours" in page
    assert "2\u202f533,33\xa0€" in page or "2 533,33" in page.replace("\u202f", " ").replace(
        "\xa0", " "
    )


def test_refusals_show_beside_their_fields_and_save_nothing(client, alice, client_entity):
    client.force_login(alice)
    data = form(
        alice,
        client_entity,
        end_date="01/01/2027",
        tacit_renewal="",
    )
    response = client.post(reverse("billing:engagement_new"), data, **FR)
    assert response.status_code == 422
    assert "La date de fin précède la date de début." in response.content.decode()
    data = form(alice, client_entity, **{"mission-1-instalments": "31/03/2027 400"})
    page = client.post(reverse("billing:engagement_new"), data, **FR).content.decode()
    assert "Les échéances totalisent 400" in page and "600" in page
    assert not Engagement.objects.exists()
    blank = {f"mission-{i}-{name}": "" for i in (0, 1) for name in ("name", "annual_fee")}
    response = client.post(
        reverse("billing:engagement_new"), form(alice, client_entity, **blank), **FR
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Ajoutez au moins une mission." in page
    assert 'value="LM-2027-007"' in page  # what was typed is kept
    assert not Engagement.objects.exists()


def test_the_run_button_makes_the_drafts(client, alice, client_entity, firm):
    actions.create_engagement(
        client_entity,
        by=alice,
        fields={"reference": "LM-1", "start_date": datetime.date(2027, 1, 1)}
        | {"tacit_renewal": True},
        missions=[{"name": "Paie", "fee_kind": "fixed", "annual_fee": "1200"}],
    )
    client.force_login(alice)
    response = client.post(
        reverse("billing:engagements_run"), {"as_of": "10/03/2027"}, follow=True, **FR
    )
    assert "Factures créées : 3 ; périodes facturées : 3." in response.content.decode()
    assert Invoice.objects.count() == 3
    again = client.post(reverse("billing:engagements_run"), {"as_of": "10/03/2027"}, **FR)
    assert again.status_code == 302 and Invoice.objects.count() == 3


def test_an_engagement_with_nothing_left_to_bill_offers_no_pause(
    client, alice, client_entity, firm
):
    engagement = actions.create_engagement(
        client_entity,
        by=alice,
        fields={"reference": "LM-FIN", "start_date": datetime.date(2027, 1, 1)}
        | {"end_date": datetime.date(2027, 2, 28)},
        missions=[{"name": "Paie", "fee_kind": "fixed", "annual_fee": "1200"}],
    )
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    assert 'id="engagement-pause"' in page
    actions.bill_due_periods(firm, by=alice, as_of=datetime.date(2027, 2, 1))
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    assert "plus rien à facturer" in page and 'id="engagement-pause"' not in page


def test_a_deposit_asked_as_a_percentage_shows_its_amount(client, alice, make_engagement):
    engagement = make_engagement(deposit_percent="10")  # of 1,200 a year
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    deposit = page.split('id="engagement-deposit">')[1].split("</dd>")[0]
    assert deposit.replace("\xa0", " ").replace("\u202f", " ") == "10 % (120,00 € HT)"


@pytest.mark.parametrize("who", ["owner_only", "processor_only"])
def test_who_may_not_manage_gets_no_form(client, staff, who, client_entity):
    client.force_login(staff[who])
    page = client.get(reverse("billing:engagements"), **FR).content.decode()
    assert "Nouvelle lettre de mission" not in page


def test_index_values_typed_in_settings_in_french(client, settings_user, alice):
    client.force_login(settings_user)
    response = client.post(
        reverse("settings:indices"),
        {"name": "Syntec", "date": "01/01/2027", "value": "1 234,5"},
        follow=True,
        **FR,
    )
    page = response.content.decode()
    assert "Valeur d'indice enregistrée." in page.replace("&#x27;", "'")
    assert "1\u202f234,5" in page or "1\xa0234,5" in page
    client.force_login(alice)  # no settings right: sent back
    assert client.get(reverse("settings:indices")).status_code == 302


def test_the_billing_run_page_in_french_with_a_failure_and_its_retry(
    client, alice, client_entity, firm, staff
):
    from django.utils import timezone

    from facturier.engagements.models import RunFailure

    today = timezone.localdate()
    engagement = actions.create_engagement(
        client_entity,
        by=alice,
        fields={"reference": "LM-1", "start_date": today.replace(day=1), "tacit_renewal": True}
        | {"responsible": staff["owner_only"].pk},
        missions=[{"name": "Paie", "fee_kind": "fixed", "annual_fee": "1200"}],
    )
    actions.bill_engagements_due()
    client.force_login(alice)
    page = client.get(reverse("billing:engagements_run"), **FR).content.decode()
    assert "Facturation périodique" in page
    assert "Son responsable ne peut pas facturer ce client" in page
    assert "Rien de facturé aujourd'hui." in page
    response = client.post(reverse("billing:engagement_retry", args=[engagement.pk]), **FR)
    assert response.status_code == 302
    assert not RunFailure.objects.exists()
    page = client.get(reverse("billing:engagements_run"), **FR).content.decode()
    assert "Aucun échec." in page and "Paie" in page


def test_a_retry_bills_the_day_a_run_ahead_of_today_failed_on(
    client, alice, client_entity, firm, monkeypatch
):
    """A run billing ahead (the 1st of next month, the engagement's first day) failed;
    once its cause is gone, the retry bills that day, not only through today."""
    from django.utils import timezone

    from facturier.core.errors import Invalid
    from facturier.engagements.models import RunFailure
    from facturier.invoicing import actions as invoicing_actions

    first = (timezone.localdate().replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    engagement = actions.create_engagement(
        client_entity,
        by=alice,
        fields={"reference": "LM-1", "start_date": first, "tacit_renewal": True},
        missions=[{"name": "Paie", "fee_kind": "fixed", "annual_fee": "1200"}],
    )
    with monkeypatch.context() as patched:
        patched.setattr(
            invoicing_actions,
            "prepare_draft",
            lambda **kwargs: (_ for _ in ()).throw(Invalid({"lines": ["Refused."]})),
        )
        result = actions.bill_due_periods(firm, by=alice, as_of=first)
    assert result.failures and not result.invoices
    client.force_login(alice)
    response = client.post(reverse("billing:engagement_retry", args=[engagement.pk]), **FR)
    assert response.status_code == 302
    assert not RunFailure.objects.exists()
    assert Invoice.objects.filter(client=client_entity, issue_date=first).count() == 1


def test_ending_an_engagement_says_which_drafts_bill_beyond_its_end(
    client, alice, firm, make_engagement
):
    """Billed ahead as drafts, July to September stay billed when the engagement ends on
    15 June; the page says which drafts bill beyond the end, in French."""
    engagement = make_engagement()
    invoices = actions.bill_due_periods(firm, by=alice, as_of=datetime.date(2027, 9, 1)).invoices
    client.force_login(alice)
    response = client.post(
        reverse("billing:engagement_end", args=[engagement.pk]),
        {"end_date": "15/06/2027"},
        follow=True,
        **FR,
    )
    page = response.content.decode()
    beyond = ", ".join(f"#{invoice.pk}" for invoice in invoices[5:])  # June to September
    assert f"Les brouillons {beyond} facturent des périodes au-delà de la date de fin" in page


def test_pausing_and_resuming_from_the_engagement_page(client, alice, client_entity):
    engagement = actions.create_engagement(
        client_entity,
        by=alice,
        fields={"reference": "LM-1", "start_date": datetime.date(2027, 1, 1)}
        | {"tacit_renewal": True},
        missions=[{"name": "Paie", "fee_kind": "fixed", "annual_fee": "1200"}],
    )
    client.force_login(alice)
    client.post(reverse("billing:engagement_pause", args=[engagement.pk]), **FR)
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    assert "suspendue depuis le" in page and "Reprendre la facturation" in page
    response = client.post(
        reverse("billing:engagement_resume", args=[engagement.pk]), follow=True, **FR
    )
    assert "Facturation reprise" in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.paused_from is None


def test_the_list_shows_a_page_of_engagements_and_says_how_many(client, alice, client_entity):
    for number in range(27):
        actions.create_engagement(
            client_entity,
            by=alice,
            fields={"reference": f"LM-{number:02d}", "start_date": datetime.date(2027, 1, 1)}
            | {"tacit_renewal": True},
            missions=[{"name": "Paie", "fee_kind": "fixed", "annual_fee": "1200"}],
        )
    client.force_login(alice)
    page = client.get(reverse("billing:engagements"), **FR).content.decode()
    assert "27 lettres de mission" in page and "Page 1 sur 2" in page
    assert "LM-24" in page and "LM-25" not in page
    second = client.get(reverse("billing:engagements") + "?page=2", **FR).content.decode()
    assert "LM-26" in second and "LM-00" not in second


def test_the_preview_shows_an_instalment_on_its_day_not_as_a_period(client, alice, client_entity):
    """An instalment is one payment on a day: the preview read "Bilan : 30 sept. 2027 –
    30 mars 2028", a period nobody agreed to."""
    client.force_login(alice)
    response = client.post(reverse("billing:engagement_new"), form(alice, client_entity), **FR)
    assert response.status_code == 302
    page = client.get(response["Location"], **FR).content.decode()
    page = page.replace("\u202f", " ").replace("\xa0", " ")
    assert "Bilan : échéance du 31 mars 2027 · 400,00 €" in page
    assert "Bilan : échéance du 30 sept. 2027 · 600,00 €" in page
    assert "30 mars 2028" not in page


def test_a_time_period_with_no_time_is_not_called_skipped_while_paused(
    client, alice, client_entity, firm
):
    """A time period with nothing to bill has no invoice, as one skipped while paused:
    the run page called it "sautée pendant la suspension" on an engagement never paused,
    while the engagement's page said "aucun temps à facturer"."""
    from django.utils import timezone

    today = timezone.localdate()
    start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    engagement = actions.create_engagement(
        client_entity,
        by=alice,
        fields={"reference": "LM-1", "start_date": start, "tacit_renewal": True},
        missions=[{"name": "Conseil", "fee_kind": "time", "time_cap": "500"}],
    )
    actions.bill_due_periods(firm, by=alice, as_of=today)
    client.force_login(alice)
    for url in (
        reverse("billing:engagements_run"),
        reverse("billing:engagement", args=[engagement.pk]),
    ):
        page = client.get(url, **FR).content.decode()
        assert "aucun temps à facturer" in page, url
        assert "sautée pendant la suspension" not in page, url


def test_a_billed_instalment_reads_as_one_on_its_day(client, alice, client_entity, firm):
    """Once billed, an instalment is listed on the engagement's page and the run page as
    the payment of its day, not as the span until the next one."""
    engagement = actions.create_engagement(
        client_entity,
        by=alice,
        fields={"reference": "LM-ECH", "start_date": datetime.date(2027, 1, 1)}
        | {"tacit_renewal": True},
        missions=[
            {
                "name": "Bilan",
                "fee_kind": "fixed",
                "annual_fee": "1000",
                "frequency": "instalments",
                "instalments": [
                    {"date": datetime.date(2027, 3, 31), "amount": "400"},
                    {"date": datetime.date(2027, 9, 30), "amount": "600"},
                ],
            }
        ],
    )
    actions.bill_due_periods(firm, by=alice, as_of=datetime.date(2027, 4, 1))  # made today
    client.force_login(alice)
    for url in (
        reverse("billing:engagement", args=[engagement.pk]),
        reverse("billing:engagements_run"),
    ):
        page = client.get(url, **FR).content.decode().replace("\xa0", " ")
        assert "échéance du 31 mars 2027" in page, url
        assert "29 sept. 2027" not in page, url


def test_the_history_says_what_each_step_did_in_french(client, alice, make_engagement, firm):
    """Each row's Details read from what its action recorded: the deposit drafted, the
    pause and resume, the end date (they were empty)."""
    engagement = make_engagement(deposit_amount="1000")
    actions.draft_engagement_deposit(engagement, by=alice)
    actions.pause_billing(engagement, by=alice)
    actions.resume_billing(engagement, by=alice)
    actions.end_engagement(engagement, by=alice, end_date=datetime.date(2027, 1, 31))
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    history = page.split('id="engagement-history"')[1].split("</table>")[0]
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", cell).replace("\xa0", " ").replace("\u202f", " ").split())
        for cell in re.findall(r"<tr>(.*?)</tr>", history, re.S)
    ]
    assert any("Fin au 31 janvier 2027" in row for row in cells), cells
    assert any("1 000,00 € hors taxes" in row for row in cells), cells
    assert any("Périodes sautées : 0" in row for row in cells), cells
    assert any("À partir du" in row for row in cells), cells
