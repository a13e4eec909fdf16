"""The token is validated in one place: the core's before_request step, before the rate limiter and the view."""
import traceback


def watch_validator(app):
    """Record where each validation of a token is called from (the real validator still answers)."""
    real, calls = app.extensions["civic.token_validator"], []

    def validator(token):
        calls.append([frame.name for frame in traceback.extract_stack()])
        return real(token)

    app.extensions["civic.token_validator"] = validator
    return calls


def test_a_token_is_validated_once_by_the_core_before_the_rate_limiter(app, client, make):
    calls = watch_validator(app)
    headers = make.headers(make.tenant(), "booking:read")
    answer = client.get("/v1/whoami", headers=headers)
    assert answer.status_code == 200 and "RateLimit-Remaining" in answer.headers
    assert len(calls) == 1
    assert "authenticate" in calls[0] and "caller" not in calls[0], calls[0]


def test_a_bad_token_is_judged_once_and_answered_401(app, client):
    calls = watch_validator(app)
    answer = client.get("/v1/whoami", headers={"Authorization": "Bearer at_unknown"})
    assert answer.status_code == 401 and answer.json["code"] == "unauthenticated"
    assert len(calls) == 1 and "authenticate" in calls[0]


def test_an_api_key_is_looked_up_through_the_core_once_per_request(app, client, make, steward):
    tenant = make.tenant()
    made = client.post("/v1/admin/clients", headers=steward, json={
        "tenant": tenant.slug, "name": "Open311 app", "scopes": ["reporting:read", "reporting:write"],
        "with_api_key": True})
    assert made.status_code == 201, made.json
    real, calls = app.extensions["civic.api_key_lookup"], []
    app.extensions["civic.api_key_lookup"] = lambda key: calls.append(key) or real(key)
    answer = client.post("/open311/v2/requests.json", data={"api_key": made.json["api_key"], "service_code": "x"})
    assert answer.status_code != 403 or answer.json.get("code") != "invalid_api_key"
    assert calls == [made.json["api_key"]]
