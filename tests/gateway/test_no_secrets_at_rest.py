"""Nothing secret (secrets, tokens, codes, passwords, API keys) is in the logs or the database in clear."""
import logging

import sqlalchemy as sa

from tests.gateway.helpers import (authorize_url, basic, bearer, client_credentials, code_from, pkce,
                                   sign_in_and_approve)

REDIRECT = "https://staff.example.org/cb"
PASSWORD = "a very particular passphrase 42"


def database_text(app) -> str:
    from civic.core.db import Base, engine

    chunks = []
    with app.app_context(), engine().connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def test_a_full_run_leaves_no_secret_in_logs_or_database(app, client, steward, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    secrets = []
    created = client.post("/v1/admin/tenants", json={"slug": "hygiene", "name": "Hygiene"}, headers=steward)
    assert created.status_code == 201
    made = client.post("/v1/admin/clients", json={"tenant": "hygiene", "name": "App", "scopes": ["clients:manage"],
                                                  "redirect_uris": [REDIRECT], "with_api_key": True,
                                                  "can_introspect": True}, headers=steward).json
    client_id, secret = made["client_id"], made["client_secret"]
    secrets += [secret, made["api_key"], PASSWORD]
    user = client.post("/v1/admin/users", json={"tenant": "hygiene", "email": "hy@example.org", "role": "tenant_admin",
                                                "password": PASSWORD}, headers=steward)
    assert user.status_code == 201, user.json
    token = client_credentials(client, client_id, secret).json["access_token"]
    secrets.append(token)
    client.get("/v1/admin/clients", headers=bearer(token))
    client_credentials(client, client_id, "cs_wrong-guess-secret")  # a failure is logged too
    verifier, challenge = pkce()
    approved = sign_in_and_approve(client, authorize_url(client_id, REDIRECT, challenge), "hy@example.org", PASSWORD)
    code = code_from(approved)
    tokens = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                               "code_verifier": verifier}, headers=basic(client_id, secret)).json
    secrets += [code, verifier, tokens["access_token"], tokens["refresh_token"]]
    refreshed = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                            headers=basic(client_id, secret)).json
    secrets += [refreshed["access_token"], refreshed["refresh_token"]]
    client.post("/oauth/introspect", data={"token": refreshed["access_token"]}, headers=basic(client_id, secret))
    rotated = client.post(f"/v1/admin/clients/{client_id}/rotate", json={}, headers=steward).json
    secrets.append(rotated["client_secret"])
    reset = client.post(f"/v1/admin/users/{user.json['id']}/reset-password", json={}, headers=steward).json
    secrets.append(reset["password"])

    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records) + capfd.readouterr().err
    stored = database_text(app)
    assert len(caplog.records) > 10  # the run was logged
    assert "hygiene" in stored  # and stored
    for value in secrets:
        assert value and value not in logs, "a secret reached the logs"
        assert value not in stored, "a secret is stored in clear"


def test_passwords_are_argon2id_at_the_standard_cost_outside_tests(app, make):
    # Tests hash at argon2id's lowest cost (two thousand of them sign people in); every other environment
    # uses the standard cost, and a password hashed at either cost still verifies.
    from civic.core.db import session
    from civic.core.tenancy import tenant_context
    from civic.gateway import service
    from civic.gateway.models import StaffUser

    tenant = make.tenant()
    cheap = make.user(tenant, email="cheap@example.org", password="correct horse battery staple")
    app.config["ENV"] = "production"
    try:
        standard = make.user(tenant, email="standard@example.org", password="correct horse battery staple")
        with app.app_context(), tenant_context(tenant.id):
            hashes = {u.email: u.password_hash for u in session.query(StaffUser).filter(
                StaffUser.id.in_([cheap.id, standard.id]))}
            assert hashes["standard@example.org"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
            for email in hashes:
                assert service.authenticate_user(tenant_id=tenant.id, email=email,
                                                 password="correct horse battery staple") is not None
    finally:
        app.config["ENV"] = "test"
    assert hashes["cheap@example.org"].startswith("$argon2id$v=19$m=1024,t=1,p=1$")
