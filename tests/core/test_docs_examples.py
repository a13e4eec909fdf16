"""Every operation in the spec shows realistic examples; each is valid, and each request example works.

The operations are read from the spec, so a component added later is held to the same rule: its
schemas declare `Meta.example`, and each operation taking a body joins SEQUENCE below (with the path
ids it needs in IDS), or these tests fail.
"""
import json
import re
import time
import types
import uuid

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

from civic.core.errors import REGISTRY

METHODS = ("get", "post", "put", "patch", "delete")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Every operation that takes a body, in an order in which each example finds what it refers to.
SEQUENCE = [
    "POST /v1/admin/tenants", "PATCH /v1/admin/tenants/{tenant_ref}",
    "POST /v1/admin/clients", "PATCH /v1/admin/clients/{client_ref}", "POST /v1/admin/clients/{client_ref}/rotate",
    "POST /v1/admin/users", "PATCH /v1/admin/users/{user_id}", "POST /v1/admin/users/{user_id}/reset-password",
    "POST /v1/booking/resources", "PATCH /v1/booking/resources/{resource_id}",
    "POST /v1/booking/resources/{resource_id}/exceptions",
    "POST /v1/booking/holds", "POST /v1/booking/holds/{hold_id}/confirm", "POST /v1/booking/bookings",
    "POST /v1/booking/bookings/{booking_id}/reschedule", "POST /v1/booking/bookings/{booking_id}/cancel",
    "POST /v1/reporting/categories", "PATCH /v1/reporting/categories/{code}",
    "POST /v1/reporting/reports", "POST /v1/reporting/reports/{report_id}/status",
    "POST /v1/reporting/reports/{report_id}/transfer",
    "PUT /v1/notify/config", "POST /v1/notify/templates", "POST /v1/notify/templates/{template_id}/preview",
    "POST /v1/notify/messages", "POST /v1/notify/callbacks/{tenant_id}", "POST /v1/notify/batches",
    "POST /v1/notify/opt-outs",
    "POST /v1/payments", "POST /v1/payments/{payment_id}/simulate",  # the sandbox's simulated provider
    "POST /v1/payments/{payment_id}/refunds", "PUT /v1/payments/account",  # then Stripe, for its webhook
    "POST /v1/payments/webhooks/stripe/{tenant}",
    "PUT /v1/casework/settings", "POST /v1/casework/case-types", "POST /v1/casework/case-types/{case_type_id}/versions",
    "POST /v1/casework/cases", "PATCH /v1/casework/cases/{case_id}", "POST /v1/casework/cases/{case_id}/transition",
    "POST /v1/casework/cases/{case_id}/assign", "POST /v1/casework/cases/{case_id}/notes",
    "POST /v1/casework/cases/{case_id}/attachments", "POST /v1/casework/cases/{case_id}/migrate",
    "POST /v1/casework/agreements", "POST /v1/casework/cases/{case_id}/referrals",
    "POST /v1/casework/referrals/{referral_id}/accept", "POST /v1/casework/referrals/{referral_id}/outcome",
    "POST /v1/casework/cases/{case_id}/referrals", "POST /v1/casework/referrals/{referral_id}/decline",  # a second one
    "POST /v1/flows/webhooks", "PATCH /v1/flows/webhooks/{endpoint_id}", "POST /v1/flows/webhooks/{endpoint_id}/recover",
    "POST /v1/flows/automations", "PATCH /v1/flows/automations/{automation_id}",
    "POST /v1/flows/automations/{automation_id}/dry-run",
    "POST /v1/flows/services", "PUT /v1/flows/services/{slug}", "POST /v1/flows/services/{slug}/submissions",
    "POST /v1/privacy/searches", "POST /v1/privacy/requests", "POST /v1/privacy/requests/{request_id}/transition",
    "POST /v1/privacy/consents", "POST /v1/privacy/consents/search", "POST /v1/privacy/consents/{consent_id}/withdraw",
    "POST /v1/privacy/rectifications", "POST /v1/privacy/erasures", "PUT /v1/privacy/retention",
]
SANDBOXED = ("/v1/notify/", "/v1/payments", "/v1/casework/")
LIVE_ONLY = ("/v1/casework/settings",)  # settings apply to live work too
# A path's id: which earlier answer gives it, and which field of that answer.
IDS = {"tenant_ref": ("POST /v1/admin/tenants", "slug"), "client_ref": ("POST /v1/admin/clients", "client_id"),
       "user_id": ("POST /v1/admin/users", "id"), "resource_id": ("POST /v1/booking/resources", "id"),
       "hold_id": ("POST /v1/booking/holds", "id"), "booking_id": ("POST /v1/booking/holds/{hold_id}/confirm", "id"),
       "code": ("POST /v1/reporting/categories", "code"), "report_id": ("POST /v1/reporting/reports", "id"),
       "template_id": ("POST /v1/notify/templates", "id"), "tenant_id": ("world", "council_tenant"),
       "payment_id": ("POST /v1/payments", "id"), "tenant": ("world", "council_tenant"),
       "case_type_id": ("POST /v1/casework/case-types", "id"), "case_id": ("POST /v1/casework/cases", "id"),
       "referral_id": ("POST /v1/casework/cases/{case_id}/referrals", "id"),
       "endpoint_id": ("POST /v1/flows/webhooks", "id"), "request_id": ("POST /v1/privacy/requests", "id"),
       "erasure_id": ("POST /v1/privacy/erasures", "id"), "consent_id": ("POST /v1/privacy/consents", "id"),
       "automation_id": ("POST /v1/flows/automations", "id"), "slug": ("POST /v1/flows/services", "slug")}


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _json(content) -> dict:
    return {kind: media for kind, media in (content or {}).items() if "json" in kind}


def _answers(operation, success: bool):
    for status, answer in operation.get("responses", {}).items():
        if status.startswith("2") == success and "$ref" not in answer:
            yield status, answer


def _examples(media: dict) -> list:
    return [media["example"]] if "example" in media else [e["value"] for e in media.get("examples", {}).values()]


def test_every_operation_shows_a_request_and_an_answer_example(spec):
    missing = []
    for name, operation in operations(spec):
        for kind, media in _json(operation.get("requestBody", {}).get("content")).items():
            if "example" not in media:
                missing.append(f"{name}: request body ({kind})")
        for status, answer in _answers(operation, success=True):
            for kind, media in _json(answer.get("content")).items():
                if not _examples(media):
                    missing.append(f"{name}: {status} answer ({kind})")
        for status, answer in _answers(operation, success=False):
            for kind, media in _json(answer.get("content")).items():
                if status != "default" and not _examples(media):
                    missing.append(f"{name}: {status} answer ({kind})")
    assert not missing, "declare `class Meta(<Parent>.Meta): example = {...}` on these schemas:\n" + "\n".join(missing)


def test_every_example_is_valid_for_its_schema(spec):
    wrong = []
    for name, operation in operations(spec):
        bodies = [("request", OAS30WriteValidator, m) for m in _json(operation.get("requestBody", {}).get("content")).values()]
        for success in (True, False):
            bodies += [(status, OAS30ReadValidator, m) for status, answer in _answers(operation, success)
                       for m in _json(answer.get("content")).values()]
        for where, validator, media in bodies:
            check = validator({**media["schema"], "components": spec["components"]})
            for example in _examples(media):
                wrong += [f"{name} {where}: {error.message}" for error in check.iter_errors(example)]
    assert not wrong, "\n".join(wrong)


def test_every_error_example_is_a_declared_code_with_its_status(spec):
    """Problems carry their declared status; OAuth's and Open311's own formats name declared codes too."""
    for name, operation in operations(spec):
        for status, answer in _answers(operation, success=False):
            for kind, media in _json(answer.get("content")).items():
                for code, example in media.get("examples", {}).items():
                    assert code in REGISTRY, (name, code)
                    if kind == "application/problem+json":
                        assert REGISTRY[code].status == example["value"]["status"] == int(status), (name, code)
                        assert example["value"]["type"].endswith("/problems/" + code), (name, code)


def test_every_request_example_loads_with_its_schema(app, spec):
    from civic.core.openapi import ExamplesPlugin

    plugin = next(p for p in app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.plugins
                  if isinstance(p, ExamplesPlugin))
    for name, operation in operations(spec):
        for media in _json(operation.get("requestBody", {}).get("content")).values():
            key = next(k for k, ref in plugin.ma_plugin.converter.refs.items()
                       if "#/components/schemas/" + ref == media["schema"]["$ref"])
            try:
                schema = key[0](partial=key[-1]) if key[-1] else key[0]()
            except TypeError:  # a schema that sets its own `partial`
                schema = key[0]()
            schema.load(media["example"])  # raises (and fails the test) if the example is not accepted


def _substitute(value, known: dict):
    if isinstance(value, dict):
        return {key: _substitute(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, known) for item in value]
    return known.get(value, value) if isinstance(value, str) else value


@pytest.fixture
def world(app, make):
    """The demo place, with live callers: the council's staff app, and the platform steward."""
    from civic.core.tenancy import place_wide, tenant_by_slug
    from civic.demo import seed

    with app.app_context():
        seed()
        with place_wide("tests.inspection"):
            council, homes, food_bank = (types.SimpleNamespace(id=tenant_by_slug(slug).id) for slug in (
                "borough-council", "riverside-homes", "food-bank"))
    scopes = ("booking:read", "booking:write", "reporting:read", "reporting:write", "notify:read", "notify:write",
              "payments:read", "payments:write", "casework:read", "casework:write", "flows:read", "flows:write",
              "privacy:read", "privacy:write", "clients:manage")
    return {"council_tenant": council, "council": make.headers(council, *scopes),
            "sandbox": make.headers(council, *scopes, sandbox=True),
            "food_bank": make.headers(food_bank, "casework:read", "casework:write", sandbox=True), "steward": make.headers(make.tenant(kind="council"),
                                                                              "platform:admin"), "homes": homes}


def _provider_proof(by_name: dict, path: str, payload: str) -> dict:
    """Notify's callback token, or Stripe's signature, as the examples of the earlier PUTs set them up."""
    def example(name):
        return by_name[name]["requestBody"]["content"]["application/json"]["example"]

    if path.startswith("/v1/notify/"):
        return {"Authorization": "Bearer " + example("PUT /v1/notify/config")["callback_token"]}
    import stripe

    when = int(time.time())
    signed = stripe.WebhookSignature._compute_signature(f"{when}.{payload}", example("PUT /v1/payments/account")["webhook_secret"])
    return {"Stripe-Signature": f"t={when},v1={signed}"}


def test_every_request_example_gets_its_documented_success(client, spec, world):
    by_name = dict(operations(spec))
    with_body = {name for name, operation in by_name.items() if _json(operation.get("requestBody", {}).get("content"))}
    assert with_body <= set(SEQUENCE), f"add to SEQUENCE (and IDS): {sorted(with_body - set(SEQUENCE))}"
    answers, known = {"world": {"council_tenant": world["council_tenant"].id}}, {}
    for name in SEQUENCE:
        method, path = name.split(" ", 1)
        operation = by_name[name]
        for param in re.findall(r"{(\w+)}", path):
            source, field = IDS[param]
            path = path.replace("{" + param + "}", str(answers[source][field]))
        body = _substitute(operation["requestBody"]["content"]["application/json"]["example"], known)
        scopes = {s for requirement in operation["security"] for s in requirement.get("oauth2", [])}
        headers = world["steward"] if path.startswith("/v1/admin/") else world["council"]
        if path.startswith(SANDBOXED) and path not in LIVE_ONLY:  # the demo's simulated Notify and payment provider answer these
            headers = world["sandbox"]
        if path.startswith("/v1/casework/referrals/"):  # the receiver answers a referral
            headers = world["food_bank"]
        raw = json.dumps(body, separators=(",", ":"))
        if operation["security"] == []:  # a provider's callback: it proves itself with what it was given
            headers = _provider_proof(by_name, path, raw)
        else:
            assert scopes, name
        answer = client.open(path, method=method, data=raw, content_type="application/json",
                             headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        expected = [int(s) for s in operation["responses"] if s.startswith("2")]
        assert answer.status_code in expected, (name, body, answer.get_json())
        answers[name] = answer.get_json(silent=True)  # a 204 has no body
        example = next(iter(_json(operation["responses"][str(answer.status_code)].get("content")).values()), {})
        for key, value in (example.get("example") or {}).items():
            if isinstance(value, str) and UUID.match(value) and key in answers[name]:
                known[value] = answers[name][key]


def _learn(documented, actual, known: dict) -> None:
    """Map the ids and tokens of a documented answer to the real answer's, for the requests after it."""
    if isinstance(documented, list) and isinstance(actual, list) and documented and actual:
        documented, actual = documented[0], actual[0]
    for key, value in (documented or {}).items() if isinstance(documented, dict) else ():
        if isinstance(value, str) and (key.endswith("_id") or key == "access_token") and key in actual:
            known[value] = actual[key]


def test_every_form_example_gets_its_documented_success(app, client, spec, world, make):
    """OAuth's and Open311's form-encoded requests: a token first, then a report, then what uses them."""
    import base64

    from civic.reporting.open311_docs import PATHS

    forms = [(name, operation) for name, operation in operations(spec)
             if "application/x-www-form-urlencoded" in operation.get("requestBody", {}).get("content", {})]
    assert forms
    basic = base64.b64encode(b"demo-borough-council:demo-borough-council-secret").decode()
    _client, shown = make.client(world["council_tenant"], ("reporting:read", "reporting:write"), with_api_key=True)
    known = {PATHS["/open311/v2/requests.<fmt>"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["example"]["api_key"]: shown["api_key"]}
    order = ("/oauth/token", "/open311/v2/requests.{fmt}")
    for name, operation in sorted(forms, key=lambda item: next(
            (i for i, path in enumerate(order) if item[0].endswith(path)), len(order))):
        method, path = name.split(" ", 1)
        path = path.replace("{fmt}", "json")
        assert "{" not in path, name
        media = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]
        answer = client.open(path, method=method, data=_substitute(media["example"], known),
                             headers={"Authorization": f"Basic {basic}"})
        assert str(answer.status_code) in operation["responses"] and answer.status_code < 300, \
            (name, answer.get_data(as_text=True))
        documented = operation["responses"][str(answer.status_code)].get("content", {}).get("application/json", {})
        _learn(documented.get("example"), answer.get_json(silent=True), known)
