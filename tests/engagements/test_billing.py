"""The recurring run: drafts for the periods come due, never twice; revisions on them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from facturier.core.errors import Invalid, NotAllowed
from facturier.engagements import actions, selectors
from facturier.engagements.models import BilledPeriod, Engagement
from facturier.invoicing import actions as invoicing_actions
from facturier.invoicing.models import Invoice

from .conftest import MISSION, MONTHLY

D = datetime.date


def plain(text: str) -> str:
    """Text with Babel's non-breaking spaces as plain ones."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def lines_of(invoice):
    return [(line.description, line.unit_price) for line in invoice.lines.all()]


def test_a_run_makes_one_draft_per_period_due_naming_the_version(make_engagement, alice, firm):
    make_engagement()
    result = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 3, 10))
    assert len(result.invoices) == 3
    first = Invoice.objects.get(pk=result.invoices[0].pk)
    assert first.status == "draft"
    assert lines_of(first) == [("Tenue comptable – Honoraires : janvier 2027", Decimal("100.0000"))]
    assert "Lettre de mission LM-2027-001, version 1." in first.notes
    assert first.total_gross == Decimal("120.00")


def test_running_twice_bills_each_period_once(make_engagement, alice, firm):
    make_engagement()
    actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1))
    again = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1))
    assert again.invoices == []
    assert Invoice.objects.count() == 2
    assert BilledPeriod.objects.count() == 2


def test_a_deleted_draft_frees_its_period_a_finalized_one_keeps_it(
    make_engagement, alice, firm, template
):
    make_engagement()
    january, february = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1)).invoices
    invoicing_actions.finalize_invoice(january, by=alice)
    invoicing_actions.delete_draft(february, by=alice)
    again = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1))
    assert len(again.invoices) == 1
    assert "février 2027" in lines_of(again.invoices[0])[0][0]


def test_a_prorated_first_quarter_says_so_in_the_clients_language(
    make_engagement, alice, firm, client_entity
):
    client_entity.language = "en"
    client_entity.save()
    make_engagement(
        start_date=D(2027, 1, 15),
        missions=[
            {
                "name": "Bookkeeping",
                "fee_kind": "fixed",
                "annual_fee": "12000",
                "frequency": "quarterly",
                "timing": "advance",
            }
        ],
    )
    (invoice,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 20)).invoices
    assert lines_of(invoice) == [
        (
            "Bookkeeping – Fees: from 15 January 2027 to 31 March 2027 (prorated 76/90 days)",
            Decimal("2533.3300"),
        )
    ]
    assert "Engagement letter LM-2027-001, version 1." in invoice.notes


def test_ending_an_engagement_stops_its_schedule_billed_periods_stay(make_engagement, alice, firm):
    engagement = make_engagement()
    actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1))
    actions.end_engagement(engagement, by=alice, end_date=D(2027, 3, 15))
    result = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 12, 31))
    assert len(result.invoices) == 1  # March only, prorated
    assert lines_of(result.invoices[0]) == [
        (
            "Tenue comptable – Honoraires : du 1er mars 2027 au 15 mars 2027 (prorata 15/31 jours)",
            Decimal("48.3900"),
        )
    ]
    assert BilledPeriod.objects.count() == 3


def test_indexation_by_percentage_shows_on_the_next_invoice(make_engagement, alice, firm):
    make_engagement(
        start_date=D(2026, 12, 1),
        indexation="percent",
        indexation_percent="3.2",
        revision_month=1,
        revision_day=1,
    )
    december, january, february = actions.bill_due_periods(
        firm, by=alice, as_of=D(2027, 2, 1)
    ).invoices
    assert lines_of(december)[0][1] == Decimal("100.0000")
    assert "révisés" not in december.notes
    assert lines_of(january)[0][1] == Decimal("103.2000")
    assert "Honoraires révisés de +3,2 % au 1er janvier 2027" in plain(january.notes)
    assert "révisés" not in february.notes


def test_indexation_by_index_ratio(make_engagement, alice, firm, settings_user):
    for day, value in [(D(2026, 1, 1), "100"), (D(2027, 1, 1), "104.5")]:
        actions.save_index_value("Syntec", by=settings_user, date=day, value=Decimal(value))
    make_engagement(start_date=D(2026, 1, 1), indexation="index", index_name="Syntec")
    result = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1))
    january_2027 = result.invoices[-1]
    assert lines_of(january_2027)[0][1] == Decimal("104.5000")
    assert "+4,5 % au 1er janvier 2027" in plain(january_2027.notes)


def test_an_index_is_read_once_for_all_the_revisions_it_sets(
    make_engagement, firm, settings_user, django_assert_num_queries
):
    """Each revision takes the latest value typed on or before its day (a value typed
    after it does not count), and the index's values are read once for them all, not
    twice per revision: a run bills thousands of engagements."""
    from facturier.engagements.revisions import planned

    for day, value in [
        (D(2024, 12, 15), "98"),
        (D(2025, 1, 1), "100"),
        (D(2026, 1, 1), "102"),
        (D(2026, 1, 2), "150"),  # typed after the revision's day
        (D(2027, 1, 1), "104.04"),
    ]:
        actions.save_index_value("Syntec", by=settings_user, date=day, value=Decimal(value))
    engagement = make_engagement(start_date=D(2025, 1, 1), indexation="index", index_name="Syntec")
    with django_assert_num_queries(1):
        revisions = planned(engagement, through=D(2027, 6, 1))
    assert [(r.effective_date, r.base_index, r.new_index, r.percent) for r in revisions] == [
        (D(2026, 1, 1), Decimal("100"), Decimal("102"), Decimal("2.00")),
        (D(2027, 1, 1), Decimal("102"), Decimal("104.04"), Decimal("2.00")),
    ]


def test_a_missing_index_fails_that_engagement_only(make_engagement, alice, firm, make_client):
    make_engagement(start_date=D(2026, 1, 1), indexation="index", index_name="Syntec")
    other = make_client(firm, name="Autre SARL")
    other.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)  # owns the new client too
    make_engagement(reference="LM-2", client=other, start_date=D(2027, 1, 1), by=alice)
    result = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1))
    assert [e.reference for e, _ in result.failures] == ["LM-2027-001"]
    assert "Syntec" in result.failures[0][1]
    assert len(result.invoices) == 1
    assert BilledPeriod.objects.filter(mission__engagement__reference="LM-2027-001").count() == 0


def test_an_amendment_is_a_new_version_named_by_the_next_invoice(make_engagement, alice, firm):
    engagement = make_engagement()
    actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1))
    mission = engagement.missions.get()
    actions.amend_engagement(
        engagement, by=alice, missions=[{"id": mission.pk, "annual_fee": "2400"}]
    )
    (invoice,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1)).invoices
    assert "version 2." in invoice.notes
    assert lines_of(invoice)[0][1] == Decimal("200.0000")
    assert BilledPeriod.objects.get(invoice=invoice).version == 2


def codes(exc):
    return {field: c for field, c in exc.value.codes.items()}


def test_refusals_have_stable_codes_and_save_nothing(make_engagement):
    with pytest.raises(Invalid) as exc:
        make_engagement(end_date=D(2026, 12, 31), tacit_renewal=False)
    assert codes(exc) == {"end_date": ["end_before_start"]}
    with pytest.raises(Invalid) as exc:
        make_engagement(missions=[{"name": "Paie", "fee_kind": "fixed"}])
    assert codes(exc) == {"missions.0.annual_fee": ["fee_required"]}
    instalments = [{"date": "2027-03-31", "amount": "500"}, {"date": "2027-09-30", "amount": "400"}]
    with pytest.raises(Invalid) as exc:
        make_engagement(
            missions=[
                {
                    "name": "Bilan",
                    "fee_kind": "fixed",
                    "annual_fee": "1000",
                    "frequency": "instalments",
                    "instalments": instalments,
                }
            ]
        )
    assert codes(exc) == {"missions.0.instalments": ["instalments_sum"]}
    assert "100" in exc.value.errors["missions.0.instalments"][0]
    from facturier.engagements.models import Engagement

    assert not Engagement.objects.exists()


def bilan(instalments, **fields):
    return {
        "name": "Bilan",
        "fee_kind": "fixed",
        "annual_fee": "1200",
        "frequency": "instalments",
        "instalments": [{"date": day, "amount": "600"} for day in instalments],
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "missions", "expected", "said"),
    [
        # An instalment before the start billed a period ending before it began.
        ({}, [bilan(["2020-03-31", "2027-09-30"])], "instalment_before_start", "31 mars 2020"),
        (
            {"end_date": D(2027, 6, 30), "tacit_renewal": False},
            [bilan(["2027-03-31", "2027-09-30"])],
            "instalment_after_end",
            "30 juin 2027",
        ),
    ],
)
def test_instalments_fall_within_the_term(make_engagement, fields, missions, expected, said):
    with translation.override("fr"), pytest.raises(Invalid) as exc:
        make_engagement(missions=missions, **fields)
    assert codes(exc) == {"missions.0.instalments": [expected]}
    assert said in exc.value.errors["missions.0.instalments"][0]
    assert "L'échéance du" in exc.value.errors["missions.0.instalments"][0]
    assert not Engagement.objects.exists()


def test_a_cap_on_a_fixed_fee_and_a_day_the_month_lacks_are_refused(make_engagement):
    with pytest.raises(Invalid) as exc:
        make_engagement(
            missions=[
                {"name": "Paie", "fee_kind": "fixed", "annual_fee": "1200", "time_cap": "100"}
            ]
        )
    assert codes(exc) == {"missions.0.time_cap": ["cap_without_time"]}
    with pytest.raises(Invalid) as exc:
        make_engagement(
            indexation="percent", indexation_percent="2", revision_day=31, revision_month=2
        )
    assert codes(exc) == {"revision_day": ["no_such_day"]}
    assert not Engagement.objects.exists()
    # The 29th of February exists (in leap years; the others revise on the 28th).
    make_engagement(indexation="percent", indexation_percent="2", revision_day=29, revision_month=2)


def test_the_reference_is_unique_per_firm(make_engagement):
    make_engagement()
    with pytest.raises(Invalid) as exc:
        make_engagement()
    assert codes(exc) == {"reference": ["duplicate"]}


def test_only_an_owner_with_processing_manages_and_runs(make_engagement, staff, firm):
    for who in ("owner_only", "processor_only"):
        with pytest.raises(NotAllowed):
            make_engagement(by=staff[who])
    with pytest.raises(Invalid) as exc:  # a client one cannot see is not named
        make_engagement(by=staff["neither"])
    assert codes(exc) == {"client": ["does_not_exist"]}
    make_engagement()
    with pytest.raises(NotAllowed):
        actions.bill_due_periods(firm, by=staff["owner_only"], as_of=D(2027, 1, 1))
    # processing without owning: nothing of others' clients is billed
    result = actions.bill_due_periods(firm, by=staff["processor_only"], as_of=D(2027, 1, 1))
    assert result.invoices == []


def test_the_next_bill_date_kept_is_the_first_day_the_preview_shows(firm, alice, make_engagement):
    """The run keeps each engagement's next billing day (next_bill_date) without
    computing the preview's amounts: the day must be the preview's first, whatever the
    missions' schedules, as periods get billed."""
    engagement = make_engagement(
        missions=[
            {**MONTHLY, "timing": "arrears", "billing_day": 5},
            {**MISSION, "name": "Conseil", "frequency": "quarterly", "billing_day": 10},
            {
                "name": "Bilan",
                "fee_kind": "fixed",
                "annual_fee": "900",
                "vat_rate": "20",
                "frequency": "instalments",
                "instalments": [
                    {"date": "2027-03-31", "amount": "500"},
                    {"date": "2027-09-30", "amount": "400"},
                ],
            },
        ]
    )
    days = []
    for as_of in (D(2027, 1, 1), D(2027, 2, 5), D(2027, 4, 1), D(2027, 4, 10), D(2027, 10, 1)):
        actions.bill_due_periods(firm, by=alice, as_of=as_of)
        engagement.refresh_from_db()
        coming, _ = selectors.preview(engagement, count=1)
        assert engagement.next_bill_date == coming[0].bill_date
        days.append(engagement.next_bill_date)
    assert days == [D(2027, 2, 5), D(2027, 3, 5), D(2027, 4, 5), D(2027, 5, 5), D(2027, 10, 5)]
