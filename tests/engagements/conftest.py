import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from facturier.engagements import actions
from facturier.work.models import StaffRate, WorkCode


@pytest.fixture
def make_engagement(alice, client_entity):
    def make(*, missions=None, by=None, client=None, **fields):
        values = {
            "reference": "LM-2027-001",
            "start_date": datetime.date(2027, 1, 1),
            "tacit_renewal": True,
            **fields,
        }
        return actions.create_engagement(
            client or client_entity,
            by=by or alice,
            fields=values,
            missions=missions
            if missions is not None
            else [
                {
                    "name": "Tenue comptable",
                    "fee_kind": "fixed",
                    "annual_fee": "1200",
                    "vat_rate": "20",
                    "frequency": "monthly",
                    "timing": "advance",
                    "billing_day": 1,
                }
            ],
        )

    return make


@pytest.fixture
def settings_user(firm, make_user):
    from django.contrib.auth.models import Permission

    user = make_user("sam", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


MISSION = {"fee_kind": "time", "vat_rate": "20"}
# Bookkeeping at 12,000 a year, billed monthly in advance on the 1st.
MONTHLY = {
    "name": "Tenue comptable",
    "fee_kind": "fixed",
    "annual_fee": "12000",
    "vat_rate": "20",
    "frequency": "monthly",
    "timing": "advance",
    "billing_day": 1,
}


@pytest.fixture
def codes(firm):
    return {
        code: WorkCode.objects.create(firm=firm, code=code, name=code, kind="time")
        for code in ("COMPTA", "FISC")
    }


@pytest.fixture
def worker(alice, firm, codes):
    """Alice records her own time at 100 an hour, 120 from July 2027."""
    alice.user_permissions.add(Permission.objects.get(codename="process_own_entries"))
    alice.email = "alice@cabinet.example"
    alice.language = "fr"
    alice.save()
    StaffRate.objects.create(
        firm=firm, staff=alice, rate=Decimal(100), effective_from=datetime.date(2026, 1, 1)
    )
    StaffRate.objects.create(
        firm=firm, staff=alice, rate=Decimal(120), effective_from=datetime.date(2027, 7, 1)
    )
    return type(alice).objects.get(pk=alice.pk)


@pytest.fixture
def engagement(make_engagement, codes):
    return make_engagement(
        missions=[
            {"name": "Tenue comptable", "work_code": codes["COMPTA"].pk, **MISSION},
            {"name": "Conseil fiscal", "work_code": codes["FISC"].pk, **MISSION},
        ]
    )
