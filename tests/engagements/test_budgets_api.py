"""Budgets through the API and the CSV import: the same refusals and codes as the
pages, the report's figures, missions named on entries."""

import pytest

from facturier.engagements.models import MissionEntry
from facturier.work import imports
from facturier.work.models import Entry

from .conftest import MISSION

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_worker(api_for, worker):
    return api_for(worker)


def test_budgets_added_refused_changed_and_reported(api_worker, engagement, worker):
    mission = engagement.missions.get(name="Tenue comptable")
    url = f"/api/v1/engagements/{engagement.pk}/budgets/"
    body = {"mission": mission.pk, "year": 2027, "hours": "10.00", "fees": "1200.50"}
    created = api_worker.post(url, body, format="json")
    assert created.status_code == 201, created.json()
    again = api_worker.post(url, body, format="json")
    assert again.status_code == 422 and again.json()["codes"] == {"year": ["duplicate"]}
    negative = api_worker.post(url, {**body, "year": 2028, "fees": "-1"}, format="json")
    assert negative.status_code == 422 and negative.json()["codes"] == {"fees": ["negative"]}
    outside = api_worker.post(url, {**body, "year": 2026}, format="json")
    assert outside.json()["codes"] == {"year": ["outside_engagement"]}
    changed = api_worker.patch(
        f"/api/v1/budgets/{created.json()['id']}/", {"hours": "20"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["hours"] == "20.00"

    logged = api_worker.post(
        "/api/v1/entries/",
        {
            "entries": [
                {
                    "client": engagement.client_id,
                    "work_code": "FISC",
                    "day": "2027-03-10",
                    "hours": "5",
                    "mission": mission.pk,
                }
            ]
        },
        format="json",
    )
    assert logged.status_code == 201, logged.json()
    assert logged.json()["entries"][0]["mission"] == mission.pk
    report = api_worker.get("/api/v1/budget-report/?year=2027").json()
    [line] = [row for row in report if row["mission"] == mission.pk]
    assert line["hours"] == "5.00" and line["hours_percent"] == "25.0"
    assert line["standard_value"] == "500.00" and line["margin"] == "700.50"
    assert line["calendar_year"] is True
    per_engagement = api_worker.get(url + "?year=2027").json()
    assert [row["mission_name"] for row in per_engagement] == ["Tenue comptable", "Conseil fiscal"]


def test_a_mission_of_another_client_is_refused_by_the_api(
    api_worker, worker, firm, make_client, make_engagement, engagement
):
    other = make_client(firm, "Autre SA")
    other.owners.add(worker)
    theirs = make_engagement(
        client=other,
        by=type(worker).objects.get(pk=worker.pk),
        reference="LM-2027-009",
        missions=[{"name": "Paie", **MISSION}],
    ).missions.get()
    row = {"client": engagement.client_id, "work_code": "FISC", "day": "2027-03-10", "hours": "1"}
    refused = api_worker.post(
        "/api/v1/entries/", {"entries": [{**row, "mission": theirs.pk}]}, format="json"
    )
    assert refused.status_code == 422
    assert refused.json()["codes"] == {"entries.0.mission": ["mission_of_another_client"]}
    assert not Entry.objects.exists()


def test_thresholds_need_the_settings_right_in_the_api(api_worker):
    assert api_worker.get("/api/v1/budget-thresholds/").json() == {"first": 80, "second": 100}
    body = {"first": 50, "second": 90}
    refused = api_worker.put("/api/v1/budget-thresholds/", body, format="json")
    assert refused.status_code == 403


def test_the_csv_import_names_missions_by_name_and_refuses_an_unknown_one(
    worker, client_entity, engagement
):
    good = (
        "client;code;date;heures;mission\n"
        f"{client_entity.pk};FISC;10/03/2027;2;Tenue comptable\n"
        f"{client_entity.pk};FISC;11/03/2027;1;\n"
    ).encode()
    report = imports.import_entries(worker, good)
    assert report.ok and report.written == 2
    tied = MissionEntry.objects.order_by("entry__day").values_list("mission__name", flat=True)
    assert list(tied) == ["Tenue comptable", "Conseil fiscal"]
    bad = (
        f"client;code;date;heures;mission\n{client_entity.pk};FISC;12/03/2027;1;Audit\n"
    ).encode()
    refused = imports.import_entries(worker, bad)
    assert refused.written == 0 and refused.refused == [(2, "mission", "No such mission.")]
    assert Entry.objects.count() == 2


def test_the_csv_import_lists_each_unknown_mission_with_its_own_line(
    worker, client_entity, engagement
):
    rows = ["", "Audit", "Tenue comptable", "Révision"]
    data = "client;code;date;heures;mission\n" + "".join(
        f"{client_entity.pk};FISC;1{index}/03/2027;1;{mission}\n"
        for index, mission in enumerate(rows)
    )
    refused = imports.import_entries(worker, data.encode())
    assert refused.written == 0
    assert refused.refused == [
        (3, "mission", "No such mission."),
        (5, "mission", "No such mission."),
    ]
    assert not Entry.objects.exists() and not MissionEntry.objects.exists()


def test_every_row_of_a_long_csv_import_is_tied_to_its_mission(worker, client_entity, engagement):
    count = 2 * 2000 + 1  # links are written 2,000 at a time
    data = "client;code;date;heures\n" + f"{client_entity.pk};COMPTA;10/03/2027;1\n" * count
    report = imports.import_entries(worker, data.encode())
    assert report.ok and report.written == count
    tied = MissionEntry.objects.values_list("mission__name", flat=True).distinct()
    assert MissionEntry.objects.count() == count and list(tied) == ["Tenue comptable"]
