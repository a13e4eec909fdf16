"""Schemathesis against the app's own /openapi.json, in-process, with a real token.

Every documented operation gets CIVIC_FUZZ_EXAMPLES generated requests (default 10, a
bounded run for `make test`; `make fuzz` runs more): no 5xx, every answer's status code,
content type, headers and body as documented, and the same requests without a token are 401.
"""
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from tests.assurance.catalogue import documented_operations, documented_paths, documented_spec, openapi_path, operations
from tests.assurance.world import body_for, url_for, values_for

EXAMPLES = int(os.environ.get("CIVIC_FUZZ_EXAMPLES", "10"))
DERANDOMIZE = "CIVIC_FUZZ_EXAMPLES" not in os.environ  # the bounded run is the same every time; longer runs explore
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# A body that is not JSON at all is refused at the edge, before the token is looked at: that
# reveals nothing and does no work, so it may answer instead of the 401.
EDGE_REJECTIONS = {"malformed_json", "unsupported_media_type", "body_too_large", "invalid_character",
                   "unexpected_body"}
# Operations left out, each with why. Keep this short: a skip is a hole in the net.
SKIPS: dict[tuple[str, str], str] = {}
# Bugs the fuzzer finds, tolerated in the fuzz only by their exact signature (everything else on the
# operation is still checked). Each has a strict-xfail regression test below that goes red once fixed.
# (method, path) -> (text of the failure, reason). Empty: every bug found so far is fixed.
KNOWN_BUGS: dict[tuple[str, str], tuple[str, str]] = {}


def _params():
    for key in documented_operations():
        marks = []
        if key in SKIPS:
            marks.append(pytest.mark.skip(reason=SKIPS[key]))
        yield pytest.param(*key, id=f"{key[0]} {key[1]}", marks=marks)


def _fuzzer(app, world, method: str, path: str) -> tuple[dict, dict]:
    """Headers (tenant A's token with every tenant scope, or a steward's on steward routes) and
    URL values naming a real object of A, so that generated requests reach past the 404."""
    op = next(o for o in operations(app) if o.method == method and openapi_path(o.path) == path)
    values = {name.rsplit(":", 1)[-1]: value for name, value in values_for(world, op).items()}
    return world.owner_of(op), values


@pytest.mark.parametrize("method, path", list(_params()))
def test_fuzzed_requests_get_documented_answers_and_no_5xx(app, world, method, path):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.config.generation.update(allow_x00=False)  # NUL bytes have their own test below
    operation = schema[path][method]
    headers, real_values = _fuzzer(app, world, method, path)
    secured = operation.definition.raw.get("security") != []
    calls = {GenerationMode.POSITIVE: 0, GenerationMode.NEGATIVE: 0}
    known = KNOWN_BUGS.get((method, path))

    def send(case, mode):
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            others = [f for f in group.exceptions if not (known and known[0] in f"{f.title} {f.message}")]
            if others:
                raise FailureGroup(others, str(group)) from None
        calls[mode] += 1
        return response

    def run(mode, examples):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, database=None, derandomize=DERANDOMIZE,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
        def fuzz(case):
            answered = send(case, mode)
            if real_values:
                on_a_real_object = case.derive()
                on_a_real_object.path_parameters.update(real_values)
                send(on_a_real_object, mode)
            if secured:
                assert_refused_without_a_token(case, answered)

        fuzz()

    started = time.monotonic()
    run(GenerationMode.POSITIVE, EXAMPLES)
    if negatable(operation.definition.raw):
        run(GenerationMode.NEGATIVE, max(1, EXAMPLES // 2))
    print(f"fuzz: {method} {path}: {calls[GenerationMode.POSITIVE]} valid and {calls[GenerationMode.NEGATIVE]} "
          f"invalid requests with a token in {time.monotonic() - started:.1f}s")
    assert calls[GenerationMode.POSITIVE] >= 1


def negatable(definition: dict) -> bool:
    """Whether any input can break the spec: a body, or a parameter that is more than a free-form string."""
    free = {"type": "string"}
    return "requestBody" in definition or any(
        p.get("schema", free) != free or p.get("required") and p["in"] != "path" for p in definition.get("parameters", []))


def assert_refused_without_a_token(case, answered):
    """The same request without a token is a 401 (or refused at the edge before any work, or not a route at all)."""
    anonymous = case.call()
    code = (anonymous.json() or {}).get("code") if anonymous.status_code >= 400 else None
    not_a_route = anonymous.status_code == answered.status_code == 404 and "requested URL" in anonymous.text
    assert anonymous.status_code == 401 or code in EDGE_REJECTIONS or not_a_route, \
        f"{case.method} {case.path} without a token: {anonymous.status_code} {anonymous.text[:200]}"


def test_the_openapi_spec_is_valid(spec):
    validate(spec.doc)


def test_every_v1_route_is_documented_in_the_spec(app, spec):
    missing = [str(op) for op in operations(app)
               if op.method.lower() not in spec.doc["paths"].get(openapi_path(op.path), {})]
    assert missing == []
    print(f"spec: {len(operations(app))} /v1 route x method pairs, all documented")


def test_the_fuzzed_operations_are_every_documented_operation(spec):
    assert len(documented_operations()) == sum(len([m for m in item if m != "parameters"])
                                               for path, item in spec.doc["paths"].items()
                                               if path.startswith("/v1/"))
    assert set(SKIPS) | set(KNOWN_BUGS) <= set(documented_operations())


# --- the bugs above, each pinned by a request that shows it ----------------------------------
def _format_cases():
    """Every value of every `format` query parameter of a GET operation."""
    for path, item in documented_paths().items():
        for param in item.get("get", {}).get("parameters", []):
            if param["name"] == "format" and param["in"] == "query":
                for value in param["schema"].get("enum", []):
                    yield pytest.param(path, value, id=f"{path}?format={value}")


@pytest.mark.parametrize("path, value", list(_format_cases()))
def test_every_format_a_route_offers_answers_a_documented_content_type(client, spec, world, path, value):
    """Found by the fuzzer: format=csv answered text/csv while the spec promised only JSON."""
    op = next(o for o in operations(client.application) if openapi_path(o.path) == path and o.method == "GET")
    response = client.get(f"{path}?format={value}", headers=world.owner_of(op))
    assert response.status_code == 200
    documented = spec.operation(op)["responses"]["200"]["content"]
    assert response.mimetype in documented, f"{response.mimetype} not in {sorted(documented)}"


def answer_conforms(app, method: str, path: str, headers: dict, refusal_ok: bool = False, **request) -> None:
    """Send one request built by schemathesis and check the answer's status, content type and schema."""
    case = schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method].Case(**request)
    response = case.call(headers=headers)
    assert 200 <= response.status_code < 300 or refusal_ok and response.status_code == 422, response.text[:300]
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_a_resources_step_stays_within_its_documented_range(app, world):
    """Found by the fuzzer: slot + buffers over a day gave a step over the documented 1440 (now refused)."""
    body = {"name": "Long slots", "slot_minutes": 1417, "buffer_before_minutes": 180, "buffer_after_minutes": 413}
    answer_conforms(app, "POST", "/v1/booking/resources", world.as_a(), refusal_ok=True, body=body)


def test_a_password_reset_answer_matches_its_schema(app, world):
    answer_conforms(app, "POST", "/v1/admin/users/{user_id}/reset-password", world.as_a(),
                    path_parameters=world.user(), body={"password": "a brand new passphrase"})


# --- NUL bytes in text ------------------------------------------------------------------------
def _free_text_cases():
    """Each writing operation's first free-text body field (a string with no pattern, enum or format)."""
    spec = documented_spec()
    for method, path in documented_operations():
        schema = spec.request_schema(documented_paths()[path][method.lower()]) or {}
        for name, prop in schema.get("properties", {}).items():
            prop = spec.resolve(prop)
            if prop.get("type") == "string" and not ({"pattern", "enum", "format", "readOnly"} & set(prop)):
                yield pytest.param(method, path, name, id=f"{method} {path} {name}")
                break


@pytest.mark.parametrize("method, path, field", list(_free_text_cases()))
def test_a_nul_byte_in_free_text_is_never_a_server_error(app, world, method, path, field):
    """Found by the fuzzer: PostgreSQL refuses NUL in text, and that was a 500 on 17 writing routes."""
    op = next(o for o in operations(app) if o.method == method and openapi_path(o.path) == path)
    body = {**(body_for(world, op) or {}), field: "before\u0000after"}
    response = world.client.open(url_for(op, values_for(world, op)), method=method, json=body,
                                 headers=world.owner_of(op))
    assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.data[:200]!r}"


# --- found by a longer run (CIVIC_FUZZ_EXAMPLES=60), pinned here so the bounded run does not depend on luck ---
def test_resetting_a_resources_step_to_its_default_is_not_a_server_error(app, world):
    """Was a 500 (TypeError comparing None with the slot length)."""
    answer_conforms(app, "PATCH", "/v1/booking/resources/{resource_id}", world.as_a(), refusal_ok=True,
                    path_parameters=world.resource(), body={"step_minutes": None})


def test_a_category_attribute_without_a_code_is_refused(app, world):
    """Was a 500: the update's partial loading reached into the attributes, so a missing code got through."""
    attribute = {"datatype": "text", "description": "Anything else?"}
    answer_conforms(app, "PATCH", "/v1/reporting/categories/{code}", world.as_a(), refusal_ok=True,
                    path_parameters=world.category(), body={"attributes": [attribute]})
