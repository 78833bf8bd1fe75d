"""The API fuzzed from its own OpenAPI schema: no 5xx, no answer the schema does not
describe. Bounded so it stays within a minute or two."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from facturier.access.models import ApiToken
from facturier.invoicing import actions
from facturier.wsgi import application

# What the API promises: never a 5xx, every answer as the schema describes it (status
# code, content type, body, headers), and a request the schema does not allow refused.
# (Not positive_data_acceptance: the schema cannot say every business rule, such as a
# currency ISO 4217 knows or "lines or amounts, not both".)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def token(db, alice, client_entity, template, make_draft):
    # Some real objects, so that small ids hit something now and then.
    for _ in range(3):
        draft = make_draft()
    actions.finalize_invoice(draft, by=alice)
    return ApiToken.issue(alice, "fuzz")[1]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
