"""Budgets of missions against what was done: time tied to missions (named or by
default), the refusals, a worked example at real rates, and the alert told once."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from facturier.access.models import AccountEmail
from facturier.core.errors import Invalid, NotAllowed
from facturier.engagements import actions, selectors
from facturier.engagements.models import BilledPeriod, BudgetAlert, MissionEntry
from facturier.receivables.models import LedgerAccounts
from facturier.work import actions as work_actions
from facturier.work.models import Entry

from .conftest import MISSION

pytestmark = pytest.mark.django_db


def _log(user, client, code, day, hours, **extra):
    (entry,) = work_actions.record_entries(
        [{"client": client.pk, "work_code": code, "day": day, "hours": hours, **extra}], by=user
    )
    return entry


def _mission(entry):
    link = MissionEntry.objects.filter(entry=entry).select_related("mission").first()
    return link and link.mission.name


def test_time_is_tied_to_the_mission_of_its_work_code_or_the_one_named(
    worker, client_entity, engagement
):
    assert _mission(_log(worker, client_entity, "FISC", "10/03/2027", "2")) == "Conseil fiscal"
    assert _mission(_log(worker, client_entity, "COMPTA", "2027-03-10", "1")) == "Tenue comptable"
    compta = engagement.missions.get(name="Tenue comptable")
    named = _log(worker, client_entity, "FISC", "2027-03-11", "1", mission=compta.pk)
    assert _mission(named) == "Tenue comptable"
    # Before the engagement starts, nothing is in force: no mission.
    assert _mission(_log(worker, client_entity, "FISC", "2026-12-31", "1")) is None
    # Changing the entry's client leaves the mission behind.
    work_actions.update_entry(named, by=worker, fields={"mission": ""})
    assert _mission(Entry.objects.get(pk=named.pk)) == "Conseil fiscal"


def test_the_only_mission_is_the_default_whatever_the_code(
    worker, client_entity, make_engagement, codes
):
    make_engagement(missions=[{"name": "Mission unique", **MISSION}])
    assert _mission(_log(worker, client_entity, "FISC", "2027-05-02", "1")) == "Mission unique"


def test_a_mission_of_another_client_is_refused_and_nothing_is_written(
    worker, firm, make_client, client_entity, make_engagement, engagement
):
    other = make_client(firm, "Autre SA")
    other.owners.add(worker)
    worker = type(worker).objects.get(pk=worker.pk)
    theirs = make_engagement(
        client=other, by=worker, reference="LM-2027-002", missions=[{"name": "Paie", **MISSION}]
    ).missions.get()
    before = Entry.objects.count()
    with pytest.raises(Invalid) as refused:
        work_actions.record_entries(
            [
                {"client": client_entity.pk, "work_code": "FISC", "day": "2027-03-01", "hours": 1},
                {
                    "client": client_entity.pk,
                    "work_code": "FISC",
                    "day": "2027-03-02",
                    "hours": 1,
                    "mission": theirs.pk,
                },
            ],
            by=worker,
        )
    assert refused.value.codes == {"entries.1.mission": ["mission_of_another_client"]}
    assert Entry.objects.count() == before
    with pytest.raises(Invalid) as unknown:
        _log(worker, client_entity, "FISC", "2027-03-02", "1", mission="Audit")
    assert unknown.value.codes == {"entries.0.mission": ["not_found"]}


def test_budget_refusals(alice, staff, engagement):
    mission = engagement.missions.first()
    actions.add_budget(mission, by=alice, year=2027, hours="10", fees="1 200,50")
    cases = [
        ({"year": 2027, "hours": "5", "fees": "10"}, {"year": ["duplicate"]}),
        ({"year": 2028, "hours": "-1", "fees": "10"}, {"hours": ["negative"]}),
        ({"year": 2028, "hours": "1", "fees": "-0,01"}, {"fees": ["negative"]}),
        ({"year": 2026, "hours": "1", "fees": "1"}, {"year": ["outside_engagement"]}),
        ({"year": 2028, "hours": "abc", "fees": "1"}, {"hours": ["invalid"]}),
    ]
    for fields, codes in cases:
        with pytest.raises(Invalid) as refused:
            actions.add_budget(mission, by=alice, **fields)
        assert refused.value.codes == codes, fields
    with pytest.raises(NotAllowed):  # owner without processing: sees, may not manage
        actions.add_budget(mission, by=staff["owner_only"], year=2028, hours=1, fees=1)
    assert list(mission.budgets.values_list("year", "hours", "fees")) == [
        (2027, Decimal("10.00"), Decimal("1200.50"))
    ]


def test_a_fiscal_year_set_by_the_firm_names_the_budget_year(alice, firm, engagement):
    assert selectors.budget_year(firm.pk, 2027).set_by_firm is False
    LedgerAccounts.objects.create(firm=firm, fiscal_year_start=7)
    year = selectors.budget_year(firm.pk, 2027)
    assert (year.start, year.end, year.set_by_firm) == (
        datetime.date(2026, 7, 1),
        datetime.date(2027, 6, 30),
        True,
    )
    # 1 July 2026 to 30 June 2027 meets an engagement from January 2027.
    actions.add_budget(engagement.missions.first(), by=alice, year=2027, hours=1, fees=1)


def test_time_logged_before_the_engagement_was_typed_counts_from_its_start(
    worker, client_entity, make_engagement, codes
):
    before = _log(worker, client_entity, "COMPTA", "10/03/2027", "4")
    earlier = _log(worker, client_entity, "COMPTA", "10/12/2026", "2")  # before its start
    engagement = make_engagement(
        missions=[
            {"name": "Tenue comptable", "work_code": codes["COMPTA"].pk, **MISSION},
            {"name": "Conseil fiscal", "work_code": codes["FISC"].pk, **MISSION},
        ]
    )
    assert _mission(before) == "Tenue comptable"
    assert _mission(earlier) is None
    mission = engagement.missions.get(name="Tenue comptable")
    actions.add_budget(mission, by=worker, year=2027, hours="10", fees="1000")
    year = selectors.budget_year(engagement.firm_id, 2027)
    [line] = [
        line for line in selectors.engagement_budgets(engagement, year) if line.mission == mission
    ]
    assert line.hours == Decimal("4")


def test_budget_against_actuals_worked_example(worker, client_entity, engagement, finalized):
    """7 h at the rates in force (4 h at 100, 3 h at 120 from July) = 760 against a
    budget of 10 h and 1 200,50; billed: one fixed period of 100 and 350 charged for the
    March entry."""
    mission = engagement.missions.get(name="Tenue comptable")
    actions.add_budget(mission, by=worker, year=2027, hours="10", fees="1 200,50")
    march = _log(worker, client_entity, "COMPTA", "10/03/2027", "4")
    _log(worker, client_entity, "COMPTA", "01/08/2027", "3")
    _log(worker, client_entity, "COMPTA", "15/12/2026", "5", mission=mission.pk)  # 2026's
    Entry.objects.filter(pk=march.pk).update(state="billed", billed_amount=Decimal(350))
    BilledPeriod.objects.create(
        mission=mission,
        period_start=datetime.date(2027, 1, 1),
        period_end=datetime.date(2027, 1, 31),
        amount=Decimal(100),
        version=1,
        invoice=finalized,
        billed_at=timezone.now(),
    )
    year = selectors.budget_year(worker.firm_id, 2027)
    line = {row.mission.name: row for row in selectors.engagement_budgets(engagement, year)}[
        "Tenue comptable"
    ]
    assert line.hours == Decimal("7.00")
    assert line.standard == Decimal("760.00")
    assert line.wip == Decimal("360.00")
    assert line.billed == Decimal("450.00")
    assert line.realization == Decimal("59.2")  # 450 / 760
    assert line.hours_percent == Decimal("70.0")
    assert line.value_percent == Decimal("63.3")  # 760 / 1 200,50
    assert line.margin == Decimal("440.50")
    report = selectors.budget_report(user=worker, year=year)
    assert [(row.mission.name, row.hours) for row in report] == [
        ("Tenue comptable", Decimal("7.00"))
    ]


def test_thresholds_need_the_settings_right(alice, settings_user):
    with pytest.raises(NotAllowed):
        actions.set_budget_thresholds(by=alice, first=50, second=90)
    with pytest.raises(Invalid) as refused:
        actions.set_budget_thresholds(by=settings_user, first=90, second=90)
    assert refused.value.codes == {"second": ["threshold_order"]}
    actions.set_budget_thresholds(by=settings_user, first=50, second=90)
    levels = selectors.thresholds(settings_user.firm_id)
    assert (levels.first, levels.second) == (50, 90)


@pytest.mark.django_db(transaction=True)
def test_the_alert_goes_once_by_smtp_even_when_checked_again(
    smtp_server, worker, client_entity, engagement
):
    mission = engagement.missions.get(name="Tenue comptable")
    actions.add_budget(mission, by=worker, year=2027, hours="10", fees="5000")
    _log(worker, client_entity, "COMPTA", "2027-03-01", "7,5")
    assert not BudgetAlert.objects.exists()  # 75 %: under the first threshold
    _log(worker, client_entity, "COMPTA", "2027-03-02", "1")  # 85 %: checked after commit
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [80]
    actions.check_budgets(mission_ids=[mission.pk], firm_id=worker.firm_id)
    actions.check_all_budgets(now=datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC))
    assert AccountEmail.objects.filter(purpose="budget_alert").count() == 1
    call_command("outbox_worker", once=True, interval=0)
    call_command("outbox_worker", once=True, interval=0)
    [(recipients, message)] = smtp_server.handler.received
    assert recipients == ["alice@cabinet.example"]
    assert "80 %" in message["Subject"] and "Tenue comptable" in message["Subject"]
    body = message.get_body().get_content()
    assert "8,5 sur 10" in body, body


@pytest.mark.django_db(transaction=True)
def test_an_alert_to_a_member_following_the_browser_is_in_the_clients_language(
    worker, alice, client_entity, engagement
):
    type(alice).objects.filter(pk=alice.pk).update(language="")  # "follow the browser"
    client_entity.language = "fr"
    client_entity.save()
    mission = engagement.missions.get(name="Tenue comptable")
    actions.add_budget(mission, by=worker, year=2027, hours="10", fees="5000")
    _log(worker, client_entity, "COMPTA", "2027-03-01", "8,5")
    email = AccountEmail.objects.get(purpose="budget_alert")
    assert email.subject.startswith("Budget atteint"), email.subject
    assert "8,5 sur 10" in email.body


def test_the_engagement_page_takes_a_budget_typed_in_french_and_shows_the_figures(
    client, worker, client_entity, engagement
):
    client.force_login(worker)
    mission = engagement.missions.get(name="Tenue comptable")
    _log(worker, client_entity, "COMPTA", "10/03/2027", "4")
    page = f"/billing/engagements/{engagement.pk}/"
    answer = client.post(
        page + "budgets/",
        {"mission": mission.pk, "year": "2027", "hours": "10", "fees": "1 200,50"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert answer.status_code == 302
    shown = client.get(page + "?year=2027", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Budget et réalisé" in shown
    assert "1\u202f200,50" in shown and "400,00" in shown and "40 %" in shown, shown
    assert 'data-chart="budget"' in shown
    report = client.get("/billing/engagements/budgets/?year=2027", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Tenue comptable" in report.content.decode() and report.status_code == 200
    refused = client.post(
        page + "budgets/",
        {"mission": mission.pk, "year": "2027", "hours": "-1", "fees": "1"},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    assert "négatif" in refused.content.decode()


def test_the_week_grid_ties_a_row_to_its_mission_and_says_a_refusal_beside_it(
    client, worker, client_entity, firm, make_client, make_engagement, engagement
):
    other = make_client(firm, "Autre SA")
    other.owners.add(worker)
    theirs = make_engagement(
        client=other,
        by=type(worker).objects.get(pk=worker.pk),
        reference="LM-2027-003",
        missions=[{"name": "Paie", **MISSION}],
    ).missions.get()
    compta = engagement.missions.get(name="Tenue comptable")
    client.force_login(worker)
    row = {"week": "2027-03-08", "r0-client": client_entity.pk, "r0-code": "FISC", "r0-d0": "2"}
    refused = client.post("/billing/time/week/", {**row, "r0-mission": theirs.pk})
    assert refused.status_code == 422
    assert "Cette mission appartient à la lettre de mission" in refused.content.decode()
    assert not Entry.objects.exists()
    page = client.get("/billing/time/week/?week=2027-03-08").content.decode()
    assert f'<option value="{compta.pk}">Client SA – Tenue comptable' in page
    assert client.post("/billing/time/week/", {**row, "r0-mission": compta.pk}).status_code == 302
    assert _mission(Entry.objects.get()) == "Tenue comptable"
