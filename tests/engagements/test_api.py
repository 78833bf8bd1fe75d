"""The engagements' API: create with missions, amend, preview, run, refusals as JSON."""

import datetime

MISSION = {
    "name": "Tenue comptable",
    "fee_kind": "fixed",
    "annual_fee": "1200.00",
    "frequency": "monthly",
    "timing": "advance",
}


def create(api, client_entity, **changes):
    body = {
        "client": client_entity.pk,
        "reference": "LM-API-1",
        "start_date": "2027-01-01",
        "tacit_renewal": True,
        "missions": [MISSION],
        **changes,
    }
    return api.post("/api/v1/engagements/", body, format="json")


def test_create_preview_run_and_amend(api, client_entity):
    response = create(api, client_entity)
    assert response.status_code == 201, response.json()
    engagement = response.json()
    assert engagement["version"] == 1
    assert engagement["missions"][0]["annual_fee"] == "1200.00"
    preview = api.get(f"/api/v1/engagements/{engagement['id']}/preview/").json()
    assert len(preview["invoices"]) == 12
    assert preview["invoices"][0]["bill_date"] == "2027-01-01"
    assert preview["invoices"][0]["total"] == "100.00"
    run = api.post("/api/v1/engagements/run/", {"as_of": "2027-02-01"}, format="json").json()
    assert (len(run["invoices"]), run["periods"], run["failures"]) == (2, 2, [])
    again = api.post("/api/v1/engagements/run/", {"as_of": "2027-02-01"}, format="json").json()
    assert again["invoices"] == []
    mission_id = engagement["missions"][0]["id"]
    amended = api.patch(
        f"/api/v1/engagements/{engagement['id']}/",
        {"missions": [{"id": mission_id, "annual_fee": "2400"}]},
        format="json",
    ).json()
    assert amended["version"] == 2
    ended = api.post(
        f"/api/v1/engagements/{engagement['id']}/end/", {"end_date": "2027-06-30"}, format="json"
    ).json()
    assert ended["end_date"] == "2027-06-30"
    preview = api.get(f"/api/v1/engagements/{engagement['id']}/preview/").json()
    assert [i["bill_date"] for i in preview["invoices"]][-1] == "2027-06-01"


def test_refusals_are_json_with_stable_codes(api, client_entity):
    response = create(api, client_entity, end_date="2026-12-31", tacit_renewal=False)
    assert response.status_code == 422
    assert response.json()["codes"] == {"end_date": ["end_before_start"]}
    mission = {
        **MISSION,
        "frequency": "instalments",
        "instalments": [{"date": "2027-03-31", "amount": "1000.00"}],
    }
    response = create(api, client_entity, missions=[mission])
    assert response.json()["codes"] == {"missions.0.instalments": ["instalments_sum"]}
    response = create(api, client_entity, missions=[{"name": "Paie", "fee_kind": "fixed"}])
    assert response.json()["codes"] == {"missions.0.annual_fee": ["fee_required"]}
    without = {"client": client_entity.pk, "reference": "LM-API-2", "start_date": "2027-01-01"}
    for body in (without, {**without, "missions": []}):
        response = api.post("/api/v1/engagements/", body, format="json")
        assert response.status_code == 422
        assert response.json()["codes"] == {"missions": ["required"]}
    far = (datetime.date.today() + datetime.timedelta(days=800)).isoformat()
    response = api.post("/api/v1/engagements/run/", {"as_of": far}, format="json")
    assert response.status_code == 422
    assert response.json()["codes"] == {"as_of": ["too_far_ahead"]}


def test_one_without_the_rights_is_refused(api_for, staff, client_entity):
    response = create(api_for(staff["owner_only"]), client_entity)
    assert response.status_code == 403
    assert api_for(staff["neither"]).get("/api/v1/engagements/").json()["results"] == []


def test_pause_resume_and_the_run_overview(api, client_entity, alice):
    from django.utils import timezone

    from facturier.engagements.models import RunFailure

    today = timezone.localdate()
    engagement = create(api, client_entity, start_date=today.replace(day=1).isoformat()).json()
    assert engagement["billing_mode"] == "draft"
    assert engagement["next_bill_date"] == today.replace(day=1).isoformat()
    paused = api.post(f"/api/v1/engagements/{engagement['id']}/pause/").json()
    assert paused["paused_from"] == today.isoformat() and paused["next_bill_date"] is None
    again = api.post(f"/api/v1/engagements/{engagement['id']}/pause/")
    assert again.status_code == 422
    assert again.json()["codes"] == {"general": ["already_paused"]}
    resumed = api.post(
        f"/api/v1/engagements/{engagement['id']}/resume/", {"catch_up": True}, format="json"
    ).json()
    assert resumed["paused_from"] is None
    api.post("/api/v1/engagements/run/", {"engagement": engagement["id"]}, format="json")
    overview = api.get("/api/v1/engagements/run/").json()
    assert overview["day"] == today.isoformat()
    assert [row["reference"] for row in overview["made"]] == ["LM-API-1"]
    assert overview["failures"] == [] and not RunFailure.objects.exists()
    unknown = api.post("/api/v1/engagements/run/", {"engagement": 999999}, format="json")
    assert unknown.status_code == 404
