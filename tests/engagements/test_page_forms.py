"""The forms of an engagement's page and of the billing run, refused in French: each
refusal beside its field, what was typed kept, nothing saved (422); and what the page
shows of earlier letters, missing index values and time periods."""

import datetime
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from facturier.engagements import actions
from facturier.engagements.models import BilledPeriod, Budget, RunFailure
from tests.engagements.test_letters import a_pdf

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def beside(page: str, field_id: str) -> str:
    """The error text shown under the field `field_id`, which its control names in
    aria-describedby (empty if none)."""
    control = re.search(rf'<[^>]*id="{field_id}"[^>]*>', page)
    assert control, field_id
    if f"{field_id}_error" not in control.group(0) or 'aria-invalid="true"' not in control.group(0):
        return ""
    errors = re.search(rf'<span id="{field_id}_error">(.*?)</span>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", errors.group(1))).strip() if errors else ""


def typed(page: str, field_id: str) -> str | None:
    control = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', control)
    return html.unescape(value.group(1)) if value else None


@pytest.fixture
def engagement(make_engagement):
    return make_engagement()


@pytest.fixture
def next_year_engagement(make_engagement):
    """An engagement that starts on the first of January next year (seen this year)."""
    start = datetime.date(timezone.localdate().year + 1, 1, 1)
    return make_engagement(start_date=start)


def test_a_budget_refused_says_so_beside_each_field_and_keeps_what_was_typed(
    client, alice, engagement
):
    client.force_login(alice)
    mission = engagement.missions.get()
    response = client.post(
        reverse("billing:budget_add", args=[engagement.pk]),
        {"mission": mission.pk, "year": "2027", "hours": "dix", "fees": "beaucoup"},
        **FR,
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert beside(page, "id_hours") == "Saisissez un nombre."
    assert beside(page, "id_fees") == "Saisissez un nombre."
    assert typed(page, "id_hours") == "dix" and typed(page, "id_fees") == "beaucoup"
    assert 'class="flash' not in page
    assert not Budget.objects.exists()


def test_a_budget_for_a_year_outside_the_engagement_is_refused_beside_the_year(
    client, alice, engagement
):
    client.force_login(alice)
    response = client.post(
        reverse("billing:budget_add", args=[engagement.pk]),
        {"mission": engagement.missions.get().pk, "year": "2020", "hours": "10", "fees": "1"},
        **FR,
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert beside(page, "id_year").startswith("L'exercice 2020")
    assert typed(page, "id_year") == "2020" and typed(page, "id_hours") == "10"
    assert not Budget.objects.exists()


def test_the_budget_form_proposes_a_year_of_the_engagement(client, alice, next_year_engagement):
    """Seen this year, an engagement starting next year proposes next year: the year
    proposed is one a budget can be added to."""
    client.force_login(alice)
    url = reverse("billing:engagement", args=[next_year_engagement.pk])
    page = client.get(url, **FR).content.decode()
    year = str(next_year_engagement.start_date.year)
    assert typed(page, "id_year") == year
    mission = next_year_engagement.missions.get()
    response = client.post(
        reverse("billing:budget_add", args=[next_year_engagement.pk]),
        {"mission": mission.pk, "year": typed(page, "id_year"), "hours": "10", "fees": "100"},
        **FR,
    )
    assert response.status_code == 302
    assert Budget.objects.get().year == int(year)


@pytest.fixture
def letter(alice, engagement, firm):
    french, _english = actions.seed_letter_templates(firm.pk)
    return actions.create_letter(engagement, by=alice, template=french)


def test_a_signed_copy_refused_keeps_its_date_beside_the_file(client, alice, letter):
    client.force_login(alice)
    url = reverse("billing:engagement_letter_sign", args=[letter.pk])
    day = timezone.localdate().strftime("%d/%m/%Y")
    not_pdf = SimpleUploadedFile("signée.pdf", b"just text, named .pdf")
    response = client.post(url, {"file": not_pdf, "signed_on": day}, **FR)
    page = response.content.decode()
    assert response.status_code == 422
    assert beside(page, "id_file") == "Le fichier n'est pas un document PDF."
    assert typed(page, "id_signed_on") == day
    bad_day = SimpleUploadedFile("signée.pdf", a_pdf())
    response = client.post(url, {"file": bad_day, "signed_on": "31/02/2027"}, **FR)
    page = response.content.decode()
    assert response.status_code == 422
    assert beside(page, "id_signed_on") == "Saisissez une date valide."
    assert typed(page, "id_signed_on") == "31/02/2027"
    letter.refresh_from_db()
    assert letter.status == "draft" and letter.signed_pdf is None


def test_an_end_date_refused_is_said_beside_it(client, alice, engagement):
    client.force_login(alice)
    response = client.post(
        reverse("billing:engagement_end", args=[engagement.pk]), {"end_date": "32/13/2027"}, **FR
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert beside(page, "id_end_date") == "Saisissez une date valide."
    assert typed(page, "id_end_date") == "32/13/2027"
    engagement.refresh_from_db()
    assert engagement.end_date is None


def test_a_run_date_refused_is_said_beside_it(client, alice, engagement):
    client.force_login(alice)
    url = reverse("billing:engagements_run")
    response = client.post(url, {"as_of": "demain"}, **FR)
    page = response.content.decode()
    assert response.status_code == 422
    assert beside(page, "id_as_of") == "Saisissez une date valide."
    assert typed(page, "id_as_of") == "demain"
    far = (timezone.localdate() + datetime.timedelta(days=800)).strftime("%d/%m/%Y")
    response = client.post(url, {"as_of": far}, **FR)
    page = response.content.decode()
    assert response.status_code == 422
    assert beside(page, "id_as_of") and typed(page, "id_as_of") == far
    assert not BilledPeriod.objects.exists()


def test_an_amended_engagement_still_shows_the_signed_letter_of_version_1(
    client, alice, engagement, letter
):
    actions.upload_signed_copy(letter, by=alice, content=a_pdf(), filename="signée.pdf")
    actions.amend_engagement(engagement, by=alice, fields={"notice_months": 6})
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    earlier = page.split('id="letter-earlier"', 1)[1].split("</ul>", 1)[0]
    pdf = reverse("billing:engagement_letter_pdf", args=[letter.pk])
    signed = reverse("billing:engagement_letter_signed", args=[letter.pk])
    assert f'href="{pdf}"' in earlier and f'href="{signed}"' in earlier
    assert "Version 1" in earlier and "Exemplaire signé de la version 1" in html.unescape(earlier)
    assert client.get(signed).status_code == 200


def test_the_preview_warns_when_an_index_value_is_missing(client, alice, make_engagement):
    quarterly = {"name": "Bilan", "fee_kind": "fixed", "annual_fee": "4000"}
    quarterly |= {"vat_rate": "20", "frequency": "quarterly", "timing": "advance"}
    engagement = make_engagement(
        indexation="index", index_name="Syntec", missions=[quarterly]
    )  # twelve quarters: the first revision falls among them
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR).content.decode()
    warning = html.unescape(page.split('id="index-missing"', 1)[1].split("</article>", 1)[0])
    assert "Une valeur d'indice manque." in warning
    assert "ne tiennent pas compte de la révision" in warning


def test_a_run_failure_for_want_of_an_index_says_what_to_do(client, alice, engagement):
    RunFailure.objects.create(
        engagement=engagement,
        reason="L'indice Syntec n'a pas de valeur.",
        code="index_missing",
        failed_at=timezone.now(),
    )
    client.force_login(alice)
    page = html.unescape(client.get(reverse("billing:engagements_run"), **FR).content.decode())
    row = page.split('id="run-failures"', 1)[1].split("</table>", 1)[0]
    assert "attendent la valeur d'indice\xa0: ajoutez-la dans Paramètres → Indices" in row


def test_time_and_fixed_periods_of_a_mission_read_apart_with_french_colons(
    client, alice, engagement
):
    mission = engagement.missions.get()
    now = timezone.now()
    for part in ("fixed", "time"):
        BilledPeriod.objects.create(
            mission=mission,
            part=part,
            period_start=datetime.date(2027, 1, 1),
            period_end=datetime.date(2027, 1, 31),
            amount=100,
            version=1,
            billed_at=now,
        )
    client.force_login(alice)
    page = html.unescape(client.get(reverse("billing:engagements_run"), **FR).content.decode())
    made = page.split('id="run-made"', 1)[1].split("</table>", 1)[0]
    assert made.count("Tenue comptable</td>") == 1 and "Tenue comptable (temps)</td>" in made
    detail = client.get(reverse("billing:engagement", args=[engagement.pk]), **FR)
    schedule = html.unescape(detail.content.decode()).split('id="schedule"', 1)[1]
    assert "Tenue comptable\xa0: " in schedule and "Tenue comptable: " not in schedule
