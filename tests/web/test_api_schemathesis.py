"""schemathesis against the OpenAPI description of ``/api/v1/``, in process through the WSGI app:
whatever it generates (a bounded number of examples per operation), the API never answers 500. Each case is
sent again with every number in its body and path made extreme (10^30, -10^30, 2^63, 1e308, a 4,000-digit
integer): what a careless or hostile client sends is refused, never a server error.

(Operations are fuzzed one by one with hypothesis rather than through ``schema.parametrize()``,
whose pytest plugin does not run under pytest 9.)"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from chuangxing.apitokens.services import issue_token
from tests.web.work_world import WorkWorld

EXAMPLES = 20
EXTREME = [10**30, -(10**30), 2**63, 1e308, int("9" * 4000)]     # 1e308 is read as a Decimal by the API


@pytest.fixture
def admin_token(db, settings, tmp_path):
    """A small world and its admin's token. The WSGI handler would close the test's database connection
    at the end of each request (Django's test client avoids that the same way). Uploaded files go to a
    temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        world = WorkWorld()
        world.fill_self(world.a2)
        a1 = world.under_review(world.a1)           # the admin may upload evidence, override facts, approve
        _, secret = issue_token(user=world.admin, name="schemathesis")
        yield {"Authorization": f"Bearer {secret}"}, {"assessment_id": a1.pk, "cycle_id": world.cycle.pk,
                                                     "name": "three_meetings_shortfall", "node": "zj-sys-1"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_server_error_on_any_generated_input(admin_token):
    from chuangxing.wsgi import application

    headers, known = admin_token
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 22
    for operation in operations:
        _fuzz(operation, headers, known)


def _fuzz(operation, headers: dict, known: dict) -> None:
    """Each generated case as drawn, and again with the world's assessment, cycle, a fact and an indicator
    (random ids are nearly always 404, which would leave the bodies of the operations unexercised)."""
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        ids = {name: value for name, value in known.items() if name in (case.path_parameters or {})}
        if ids:
            case.path_parameters = {**case.path_parameters, **ids}
            if isinstance(case.body, dict) and "node" in case.body:
                case.body = {**case.body, "node": known["node"]}
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
        for i, extreme in enumerate(EXTREME):
            _send_extreme(case, headers, extreme, i)

    run()


def _extreme(value, number):
    """``value`` with every number (and every rule input, ``value``) replaced by ``number``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return number
    if isinstance(value, dict):
        return {k: number if k == "value" else _extreme(v, number) for k, v in value.items()}
    if isinstance(value, list):
        return [_extreme(v, number) for v in value] or [number]
    return value


def _send_extreme(case, headers: dict, number, i: int) -> None:
    """The case again (through schemathesis, as the others: Django's test client would reconnect the signals the
    fixture disconnected) with its body's numbers and, for the first three, its ids made ``number``."""
    body, path = case.body, case.path_parameters
    if isinstance(body, dict | list):
        case.body = _extreme(body, number)
    if path and i < 3:                                  # an id no column holds: 404, not a database error
        case.path_parameters = {k: number if isinstance(v, int) else v for k, v in path.items()}
    try:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
    finally:
        case.body, case.path_parameters = body, path
