"""A steward onboards an organisation from the command line and hands over credentials."""
import json
import os
import subprocess
import sys

import pytest

from tests.gateway.helpers import client_credentials


@pytest.fixture
def civic(database_url, tmp_path):
    env = {**os.environ, "CIVIC_DATABASE_URL": database_url, "CIVIC_ENV": "test", "CIVIC_LOG_LEVEL": "WARNING",
           "CIVIC_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789"}

    def run(*args, stdin: str | None = None, ok: bool = True):
        result = subprocess.run([sys.executable, "-m", "civic.cli", *args], env=env, input=stdin, capture_output=True,
                                text=True, timeout=60)
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    return run


def test_onboard_an_organisation_and_get_a_token(civic, client):
    tenant = json.loads(civic("tenants", "create", "--slug", "food-bank", "--name", "Riverside Food Bank",
                              "--kind", "voluntary", "--json").stdout)
    assert tenant["slug"] == "food-bank" and tenant["status"] == "active"
    created = json.loads(civic("clients", "create", "--tenant", "food-bank", "--name", "Volunteer rota",
                               "--scopes", "booking:read booking:write", "--sandbox", "--with-api-key", "--json").stdout)
    assert set(created) >= {"client_id", "client_secret", "api_key"} and created["sandbox"] is True
    token = client_credentials(client, created["client_id"], created["client_secret"])
    assert token.status_code == 200 and token.json["scope"] == "booking:read booking:write"
    listed = json.loads(civic("clients", "list", "--tenant", "food-bank", "--json").stdout)
    assert [c["client_id"] for c in listed] == [created["client_id"]] and "client_secret" not in listed[0]


def test_suspend_and_reactivate(civic, client):
    civic("tenants", "create", "--slug", "lapsed", "--name", "Lapsed")
    created = json.loads(civic("clients", "create", "--tenant", "lapsed", "--name", "A", "--scopes", "booking:read",
                               "--json").stdout)
    assert "lapsed is suspended" in civic("tenants", "suspend", "lapsed").stdout
    assert client_credentials(client, created["client_id"], created["client_secret"]).status_code == 401
    assert json.loads(civic("tenants", "list", "--json").stdout)[0]["status"] == "suspended"
    civic("tenants", "reactivate", "lapsed")
    assert client_credentials(client, created["client_id"], created["client_secret"]).status_code == 200


def test_rotate_and_revoke(civic, client):
    civic("tenants", "create", "--slug", "rot", "--name", "Rot")
    created = json.loads(civic("clients", "create", "--tenant", "rot", "--name", "A", "--scopes", "booking:read",
                               "--json").stdout)
    rotated = json.loads(civic("clients", "rotate", created["client_id"], "--grace-seconds", "0", "--json").stdout)
    assert client_credentials(client, created["client_id"], created["client_secret"]).status_code == 401
    assert client_credentials(client, created["client_id"], rotated["client_secret"]).status_code == 200
    civic("clients", "revoke", created["client_id"])
    assert client_credentials(client, created["client_id"], rotated["client_secret"]).status_code == 401


def test_users_create_reads_the_password_from_stdin(civic):
    civic("tenants", "create", "--slug", "staffed", "--name", "Staffed")
    user = json.loads(civic("users", "create", "--tenant", "staffed", "--email", "Ann@Example.org", "--role",
                            "tenant_admin", "--json", stdin="a long enough password\n").stdout)
    assert user["email"] == "ann@example.org" and user["role"] == "tenant_admin"
    short = civic("users", "create", "--tenant", "staffed", "--email", "b@example.org", "--role", "viewer",
                  stdin="short\n", ok=False)
    assert short.returncode == 2 and "12 characters" in short.stderr


def test_clear_errors_for_bad_input(civic):
    duplicate = civic("tenants", "create", "--slug", "twice", "--name", "Twice")
    assert duplicate.returncode == 0
    again = civic("tenants", "create", "--slug", "twice", "--name", "Twice", ok=False)
    assert again.returncode == 2 and "already exists" in again.stderr
    bad_slug = civic("tenants", "create", "--slug", "Not A Slug", "--name", "X", ok=False)
    assert bad_slug.returncode == 2 and "slug" in bad_slug.stderr
    unknown_scope = civic("clients", "create", "--tenant", "twice", "--name", "A", "--scopes", "everything", ok=False)
    assert unknown_scope.returncode == 2 and "Unknown scope" in unknown_scope.stderr
    missing = civic("clients", "create", "--tenant", "nobody", "--name", "A", "--scopes", "booking:read", ok=False)
    assert missing.returncode == 2 and "No such tenant" in missing.stderr
