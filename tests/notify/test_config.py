"""The organisation's Notify key: parsed, encrypted, never shown or logged; set by a tenant admin only."""
import logging


from civic.notify.models import Config
from tests.notify.conftest import NOTIFY, stored


def test_the_api_shows_the_key_name_service_and_type_never_the_key(app, client, org, caplog):
    caplog.set_level(logging.DEBUG)
    answer = org.configure()
    shown = client.get("/v1/notify/config", headers=org.headers)
    name, rest = org.key.split("-", 1)
    service_id, secret = rest[:36], rest[37:]
    for body in (answer.get_data(as_text=True), shown.get_data(as_text=True)):
        assert secret not in body and org.callback_token not in body
    assert shown.json["key_name"] == name and shown.json["service_id"] == service_id
    assert shown.json["key_type"] == "live" and shown.json["callback_token_set"] is True
    assert shown.json["callback_url"].endswith(f"/v1/notify/callbacks/{org.tenant.id}")
    (config,) = stored(app, Config, Config.tenant_id == org.tenant.id)
    assert secret not in config.key_ciphertext and org.callback_token not in (config.callback_token_hash or "")
    assert secret not in caplog.text and org.callback_token not in caplog.text


def test_a_key_that_is_not_notifys_form_is_a_422_that_does_not_echo_it(client, org):
    bad = "riverside-not-a-key-0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b"
    answer = client.put("/v1/notify/config", headers=org.headers, json={"api_key": bad, "key_type": "live"})
    assert answer.status_code == 422 and answer.json["code"] == "notify_key_invalid"
    assert "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b" not in answer.get_data(as_text=True)


def test_a_key_notify_refuses_is_a_clear_4xx_naming_the_problem_not_the_key(client, org, fake_notify):
    other = "riverside_live-9a1c3f2e-4b5d-4e6f-8a7b-1c2d3e4f5a6b-0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b"
    org.configure(api_key=other)  # well formed, but Notify does not know it
    template_id = fake_notify.add_template("email", "Hello ((name))")
    answer = client.post("/v1/notify/templates", headers=org.headers,
                         json={"name": "hello", "notify_template_id": template_id, "channel": "email"})
    assert answer.status_code == 422 and answer.json["code"] == "notify_key_refused"
    assert "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b" not in answer.get_data(as_text=True)


def test_only_a_tenant_admin_or_an_app_with_notify_write_changes_the_settings(make, client, org):
    body = {"api_key": org.key, "key_type": "live"}
    reader = make.headers(org.tenant, "notify:read")
    assert client.put("/v1/notify/config", headers=reader, json=body).status_code == 403
    caseworker = make.user(org.tenant, role="caseworker")
    as_caseworker = make.headers(org.tenant, *NOTIFY, user=caseworker)
    assert client.put("/v1/notify/config", headers=as_caseworker, json=body).status_code == 403
    admin = make.user(org.tenant, role="tenant_admin")
    as_admin = make.headers(org.tenant, *NOTIFY, "clients:manage", user=admin)
    assert client.put("/v1/notify/config", headers=as_admin, json=body).status_code == 200


def test_without_notify_set_up_sending_is_a_409_and_nothing_is_queued(app, make, client, fake_notify):
    from tests.notify.conftest import Org

    bare = Org(make, client, fake_notify, configure=False)
    answer = bare.email()
    assert answer.status_code == 409 and answer.json["code"] == "notify_not_configured"
    assert client.get("/v1/notify/config", headers=bare.headers).json["code"] == "notify_not_configured"
    from civic.core.jobs import Job

    assert stored(app, Job, Job.name == "notify.send") == []


def test_another_organisations_config_is_its_own(client, org, other_org):
    mine = client.get("/v1/notify/config", headers=org.headers).json
    theirs = client.get("/v1/notify/config", headers=other_org.headers).json
    assert mine["service_id"] != theirs["service_id"]
