"""Schemathesis against our own OpenAPI schema (/api/v1/schema/), in process through WSGI.

Every operation is called with generated input, signed in as operations staff (who reach the most code),
on a bounded budget so CI stays quick. Two promises are checked: no answer is a 5xx, and every answer
whose status the schema documents has the body the schema describes. SCHEMATHESIS_EXAMPLES raises the
budget for a deeper run.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Django closes the database connection after each request; inside the test's transaction it must stay
    open, as Django's own test client arranges for its requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(staff):
    return str(RefreshToken.for_user(staff).access_token)


@pytest.mark.postgres
@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_keeps_its_schema(case, staff_token, owner, colleague):
    case.call_and_validate(headers={"Authorization": f"Bearer {staff_token}"},
                           checks=[not_a_server_error, response_schema_conformance])


# What the fuzzing found, kept as plain regression tests so they hold whatever the generator draws next time.
@pytest.mark.django_db
def test_nul_character_in_a_query_is_bad_input_not_a_server_error(api, staff):
    response = api.as_user(staff).get("/api/v1/airports/", {"search": "KP\x00AO"})
    assert response.status_code == 400
    assert response.json() == {"message": "The request contains a NUL character.", "code": "invalid", "fields": {}}


@pytest.mark.django_db
def test_impossible_time_is_a_field_error(api, staff, colleague):
    response = api.as_user(staff).post("/api/v1/availability/exceptions/", {
        "instructor": colleague.pk, "start": "2026-01-01T12:99:00Z", "end": "2026-01-01T14:00:00Z", "reason": "x"})
    assert response.status_code == 400
    assert "start" in response.json()["fields"]


@pytest.mark.django_db
def test_staff_profile_without_training_level_matches_the_schema(api, staff):
    body = api.as_user(staff).get("/api/v1/auth/me/").json()
    assert body["training_level"] == ""
    components = schema.raw_schema["components"]["schemas"]
    allowed = _enum_values(components["User"]["properties"]["training_level"], components)
    assert "" in allowed and "student_pilot" in allowed


def _enum_values(node, components) -> set:
    """Every enum value a (possibly $ref'd, oneOf/allOf-wrapped) schema node admits."""
    if isinstance(node, list):
        return set().union(*(_enum_values(item, components) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    values = set(node.get("enum", []))
    if "$ref" in node:
        values |= _enum_values(components[node["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("oneOf", "anyOf", "allOf"):
        values |= _enum_values(node.get(key, []), components)
    return values
