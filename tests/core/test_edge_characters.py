"""Control characters, lone surrogates and absurdly deep JSON are refused at the edge, never a 500."""
import pytest

from tests.core.conftest import assert_problem, count

CONTROLS = [chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_control_character_in_a_json_value_is_a_422(app, client, steward, char):
    before = count(app, "tenant")
    response = client.post("/v1/admin/tenants", json={"slug": "ctl-org", "name": f"Food{char}Bank"}, headers=steward)
    body = assert_problem(response, 422, "invalid_character")
    assert list(body["errors"]) == ["name"]
    assert count(app, "tenant") == before


def test_tab_newline_and_carriage_return_are_fine(client, steward):
    response = client.post("/v1/admin/tenants", json={"slug": "ws-org", "name": "Food\tBank\r\nTrust"},
                           headers=steward)
    assert response.status_code == 201, response.get_json()


def test_a_control_character_in_a_json_key_is_a_422(client, steward):
    response = client.post("/v1/admin/tenants", json={"slug": "key-org", "name": "Key", "metadata": {"a\x07b": "x"}},
                           headers=steward)
    assert_problem(response, 422, "invalid_character")


def test_a_control_character_in_a_query_or_form_is_a_422(client, steward):
    assert_problem(client.get("/v1/admin/tenants?status=active%1B", headers=steward), 422, "invalid_character")
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "a\x1bb",
                                                 "client_secret": "x"})
    assert_problem(response, 422, "invalid_character")


@pytest.mark.parametrize("raw", ['"\\ud800"', '"\\udfff tail"', '"a\\udc00b"'])
def test_a_lone_surrogate_anywhere_in_json_is_a_422(app, client, steward, raw):
    before = count(app, "tenant")
    for body in ('{"slug": "sur-org", "name": %s}' % raw,
                 '{"slug": "sur-org", "name": "S", "metadata": {"k": %s}}' % raw,
                 '{"slug": "sur-org", "name": "S", "metadata": {%s: "v"}}' % raw):
        response = client.post("/v1/admin/tenants", data=body, content_type="application/json", headers=steward)
        assert_problem(response, 422, "invalid_character")
    assert count(app, "tenant") == before


def test_a_surrogate_pair_is_an_ordinary_character(client, steward):
    response = client.post("/v1/admin/tenants", data='{"slug": "pair-org", "name": "Cake \\ud83c\\udf82"}',
                           content_type="application/json", headers=steward)
    assert response.status_code == 201 and response.get_json()["name"] == "Cake \U0001F382"


@pytest.mark.parametrize("depth", [33, 500, 100_000])
def test_json_nested_too_deep_is_refused_not_a_500(client, steward, depth):
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = client.post("/v1/admin/tenants", data=body, content_type="application/json", headers=steward)
        problem = assert_problem(response, response.status_code)
        assert response.status_code in (400, 422) and problem["code"] in ("json_too_deep", "malformed_json"), problem


def test_json_nested_within_the_limit_reaches_validation(client, steward):
    body = {"slug": "nest-org", "name": "Nest", "metadata": {"k": [[[[["deep"]]]]]}}
    response = client.post("/v1/admin/tenants", json=body, headers=steward)
    assert_problem(response, 422, "validation_failed")  # metadata values are strings: refused by the schema
