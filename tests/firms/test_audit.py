"""The firm's audit trail holds names its apps declared, in one spelling."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from facturier.firms import audit
from facturier.firms.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_every_declared_name_is_spelled_one_way():
    assert len(audit._names) >= 35
    for name in audit._names:
        assert audit.SPELLING.match(name), name
    assert audit.label("payment.recorded") == "payment recorded"


def test_a_name_no_app_declared_is_refused_and_nothing_is_written(firm, alice):
    with pytest.raises(ImproperlyConfigured):
        audit.record("payment.record", firm, by=alice, firm_id=firm.pk)
    assert not AuditEvent.objects.exists()


def test_what_the_actions_wrote_is_declared(firm, alice, client_entity):
    from facturier.receivables import actions as receivables

    receivables.record_payment(
        by=alice, client=client_entity, amount="10.00", received_on="2026-01-05"
    )
    names = set(AuditEvent.objects.values_list("action", flat=True))
    assert names == {"payment.recorded"}
