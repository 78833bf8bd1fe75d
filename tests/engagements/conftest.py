import datetime

import pytest

from facturier.engagements import actions


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
