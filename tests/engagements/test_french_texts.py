"""What an engagement says to a French reader reads French: amounts with a decimal comma
and their currency, dates as French writes them ("1er janvier 2027"), the billing day
"le 1er du mois", revisions told only when they change the fees."""

import datetime
import itertools

import pytest
from django.utils import timezone, translation

from facturier.core.errors import Invalid
from facturier.engagements import actions, letter_texts
from facturier.engagements.models import Revision, RunFailure

D = datetime.date


def plain(text: str) -> str:
    """Text with Babel's no-break spaces as plain ones."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def bilan(instalments, annual_fee="1200"):
    return {
        "name": "Bilan",
        "fee_kind": "fixed",
        "annual_fee": annual_fee,
        "vat_rate": "20",
        "frequency": "instalments",
        "instalments": instalments,
    }


def test_instalments_that_miss_the_annual_fee_are_refused_in_euros_as_french_writes_them(
    make_engagement,
):
    instalments = [{"date": "2027-03-31", "amount": "500"}, {"date": "2027-09-30", "amount": "500"}]
    with translation.override("fr"), pytest.raises(Invalid) as refused:
        make_engagement(missions=[bilan(instalments)])
    assert plain(refused.value.errors["missions.0.instalments"][0]) == (
        "Les échéances totalisent 1 000,00 €, et non les honoraires annuels de 1 200,00 € "
        "(un écart de 200,00 €)."
    )
    with translation.override("en"), pytest.raises(Invalid) as refused:
        make_engagement(missions=[bilan(instalments)])
    assert "€1,000.00" in refused.value.errors["missions.0.instalments"][0]


def test_a_missing_index_is_dated_in_the_words_of_the_runs_reader(make_engagement, alice, firm):
    make_engagement(start_date=D(2026, 1, 1), indexation="index", index_name="Syntec")
    alice.language = "fr"
    alice.save()
    at = timezone.make_aware(datetime.datetime(2027, 1, 1, 9))
    actions.bill_engagements_due(today=D(2027, 1, 1), now=at)  # the worker's pass
    kept = RunFailure.objects.get().reason
    assert kept.startswith("L'indice Syntec n'a pas de valeur au 1er janvier 2026 ou avant")
    with translation.override("en"):  # a person's run, in the words of who runs it
        result = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1))
    assert "no value on or before 1 January 2026" in result.failures[0][1]


def test_a_revision_of_zero_is_not_announced_and_percentages_keep_their_decimals(
    make_engagement, alice, firm
):
    flat = make_engagement(
        start_date=D(2026, 12, 1),
        indexation="percent",
        indexation_percent="0",
        revision_month=1,
        revision_day=1,
    )
    december, january = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1)).invoices
    assert "révisés" not in january.notes and "revised" not in january.notes
    assert Revision.objects.get(engagement=flat).announced_on is None
    make_engagement(
        reference="LM-2",
        start_date=D(2026, 12, 1),
        indexation="percent",
        indexation_percent="3.25",
        revision_month=1,
        revision_day=1,
    )
    *_, revised = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1)).invoices
    assert "Honoraires révisés de +3,25 % au 1er janvier 2027" in plain(revised.notes)


def test_the_letter_bills_on_the_1er_of_the_month_and_lists_instalments_in_french(
    make_engagement,
):
    engagement = make_engagement(
        missions=[
            {
                "name": "Tenue comptable",
                "fee_kind": "fixed",
                "annual_fee": "1200",
                "vat_rate": "20",
                "frequency": "monthly",
                "timing": "advance",
                "billing_day": 1,
            },
            bilan(
                [{"date": "2027-03-01", "amount": "700"}, {"date": "2027-09-30", "amount": "500"}]
            ),
        ]
    )
    french = letter_texts.values(engagement, language="fr", day=D(2027, 1, 1), general_terms="")
    schedule = french["billing_schedule"]
    assert "à échoir, le 1er du mois" in schedule
    assert (
        "1er mars 2027\u202f: 700,00\xa0€\u202f; 30 septembre 2027\u202f: 500,00\xa0€" in schedule
    )
    assert french["letter_date"] == "1er janvier 2027"
    english = letter_texts.values(engagement, language="en", day=D(2027, 1, 1), general_terms="")
    assert "on day 1" in english["billing_schedule"]
    assert "1 March 2027: €700.00; 30 September 2027: €500.00" in english["billing_schedule"]


def test_a_budget_outside_the_engagement_names_its_fiscal_year_in_french(alice, make_engagement):
    mission = make_engagement().missions.get()
    with translation.override("fr"), pytest.raises(Invalid) as refused:
        actions.add_budget(mission, by=alice, year=2026, hours="1", fees="1")
    assert "(1er janvier 2026 – 31 décembre 2026)" in refused.value.errors["year"][0]


@pytest.mark.parametrize(
    ("frequency", "fr", "en"),
    [
        ("monthly", "février 2027", "February 2027"),
        ("quarterly", "2e trimestre 2027", "2nd quarter 2027"),
        ("half_yearly", "2e semestre 2027", "second half of 2027"),
        ("yearly", "année 2028", "year 2028"),
    ],
)
def test_a_fee_line_names_its_period_in_words(frequency, fr, en):
    """The first period (from 15 January) is a part, said by its days; the next is a
    whole month, quarter, half-year or year, said by its name in the client's language."""
    from decimal import Decimal

    from facturier.engagements.schedule import Plan, periods
    from facturier.engagements.texts import period_line

    first, second = list(
        itertools.islice(
            periods(Plan(frequency, "advance", 1, Decimal(1200)), start=D(2027, 1, 15), end=None),
            2,
        )
    )
    assert period_line("Tenue comptable", second, "fr") == f"Tenue comptable – Honoraires : {fr}"
    assert period_line("Bookkeeping", second, "en") == f"Bookkeeping – Fees: {en}"
    assert period_line("Tenue comptable", first, "fr").startswith(
        "Tenue comptable – Honoraires : du 15 janvier 2027 au "
    )
    assert "(prorata " in period_line("Tenue comptable", first, "fr")


def test_an_instalment_line_says_its_day_as_french_writes_it():
    from decimal import Decimal

    from facturier.engagements.schedule import Plan, periods
    from facturier.engagements.texts import period_line

    plan = Plan("instalments", "advance", 1, Decimal(0), [(D(2027, 3, 1), Decimal(600))])
    instalment = next(periods(plan, start=D(2027, 1, 1), end=None))
    assert (
        period_line("Bilan", instalment, "fr") == "Bilan – Honoraires : échéance du 1er mars 2027"
    )
    assert period_line("Bilan", instalment, "en") == "Bilan – Fees: instalment of 1 March 2027"
