"""Brute-force lock-outs: counted per decoded principal and per address, slowed before locked, hard to abuse."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.gateway.helpers import authorize_url, basic, client_credentials, csrf_of, pkce

REDIRECT = "https://app.example.org/cb"
PASSWORD = "correct horse battery"


def token_from(http, client_id: str, secret: str, address: str):
    return http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret),
                     environ_base={"REMOTE_ADDR": address})


def sign_in_from(http, url: str, email: str, password: str, address: str):
    env = {"REMOTE_ADDR": address}
    csrf = csrf_of(http.get(url, environ_base=env).get_data(as_text=True))
    return http.post(url, data={"csrf": csrf, "action": "signin", "email": email, "password": password},
                     environ_base=env)


def let_the_slowdown_pass(app) -> None:
    """What waiting out a slow-down's Retry-After does (hard lock-outs stay)."""
    with app.app_context():
        from civic.core.db import engine, utcnow

        with engine().begin() as conn:
            conn.execute(sa.text("UPDATE gateway_throttle SET locked_until = :past WHERE failures < :limit"),
                         {"past": utcnow().replace(tzinfo=None) if engine().dialect.name == "sqlite" else utcnow(),
                          "limit": app.config["LOGIN_MAX_FAILURES"]})


def throttle_keys(app) -> list[str]:
    with app.app_context():
        from civic.core.db import engine

        with engine().connect() as conn:
            return [row[0] for row in conn.execute(sa.text("SELECT key FROM gateway_throttle"))]


@pytest.fixture
def sign_in_page(make):
    def build(tenant, email="kim@example.org"):
        app_client, _ = make.client(tenant, ["booking:read"], redirect_uris=[REDIRECT])
        make.user(tenant, email=email, password=PASSWORD)
        _, challenge = pkce()
        return authorize_url(app_client.client_id, REDIRECT, challenge)
    return build


# --- 3. counted per decoded client id and per address -----------------------------
def test_spellings_of_one_client_id_count_as_one_client(app, client, make):
    from civic.gateway.views import client_id_of_request

    app_client, shown = make.client(make.tenant(), ["booking:read"], client_id="demo-food-bank")
    # Each spelling decodes (as the OAuth library decodes it) to the same client id, so each is counted as it.
    spellings = ["demo%2Dfood-bank", "%64emo-food-bank", "d%65mo-food-bank", "de%6Do-food-bank", "dem%6F-food-bank",
                 "demo-%66ood-bank", "demo-f%6Fod-bank", "demo-fo%6Fd-bank", "demo-foo%64-bank", "demo-food%2Dbank"]
    for spelling in spellings:
        with app.test_request_context("/oauth/token", method="POST", headers=basic(spelling, "x")):
            assert client_id_of_request() == "demo-food-bank", spelling
    for n in range(3):  # the spellings share one (client, address) count: the fifth try from there is slowed
        assert token_from(client, spellings[n], f"cs_guess{n}", "10.0.0.1").status_code == 401
    slowed = token_from(client, "demo-food-bank", shown["client_secret"], "10.0.0.1")
    assert slowed.status_code == 429 and slowed.json["code"] == "too_many_failures"


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES": 4}])
def test_a_success_does_not_clear_the_address_counter(app, client, make):
    tenant = make.tenant()
    victim, _ = make.client(tenant, ["booking:read"])
    own, own_shown = make.client(tenant, ["booking:read"])
    for _ in range(2):
        assert token_from(client, victim.client_id, "cs_guess", "10.0.0.1").status_code == 401
    let_the_slowdown_pass(app)
    assert token_from(client, own.client_id, own_shown["client_secret"], "10.0.0.1").status_code == 200
    for _ in range(2):
        assert token_from(client, victim.client_id, "cs_guess", "10.0.0.1").status_code == 401
        let_the_slowdown_pass(app)
    # Four failures from this address: it is locked, whoever's secret it sends next.
    assert token_from(client, own.client_id, own_shown["client_secret"], "10.0.0.1").status_code == 429
    assert token_from(client, own.client_id, own_shown["client_secret"], "10.0.0.2").status_code == 200


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES": 3}])
def test_a_stranger_cannot_cheaply_lock_out_a_client(app, client, make):
    victim, shown = make.client(make.tenant(), ["booking:read"])
    for n in range(6):
        token_from(client, victim.client_id, "cs_guess", "10.6.6.6")
        let_the_slowdown_pass(app)
    assert token_from(client, victim.client_id, shown["client_secret"], "10.6.6.6").status_code == 429
    assert token_from(client, victim.client_id, shown["client_secret"], "10.0.0.1").status_code == 200


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES": 3}])
def test_a_stranger_cannot_cheaply_lock_out_a_sign_in(app, client, make, sign_in_page):
    url = sign_in_page(make.tenant())
    for n in range(6):
        sign_in_from(client, url, "kim@example.org", "guess guess guess", "10.6.6.6")
        let_the_slowdown_pass(app)
    assert sign_in_from(client, url, "kim@example.org", PASSWORD, "10.6.6.6").status_code == 429
    assert sign_in_from(client, url, "kim@example.org", PASSWORD, "10.0.0.1").status_code == 200


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES": 2}])
def test_many_addresses_lock_one_account_but_not_the_same_email_in_another_tenant(client, make, sign_in_page):
    from civic.gateway.throttle import PERSON_LIMIT

    here, there = sign_in_page(make.tenant()), sign_in_page(make.tenant())
    for n in range(PERSON_LIMIT):  # one failure from each of many addresses
        address = f"10.0.{n // 200}.{n % 200}"
        assert sign_in_from(client, here, "kim@example.org", "guess guess guess", address).status_code == 401
    assert sign_in_from(client, here, "kim@example.org", PASSWORD, "10.0.1.1").status_code == 429
    assert sign_in_from(client, there, "kim@example.org", PASSWORD, "10.0.1.2").status_code == 200


def test_no_number_of_addresses_locks_a_client_out(client, make):
    """Found by the attacker's review: wrong secrets from eleven addresses locked a client out everywhere.
    A client secret is 256 random bits: a lock from anywhere would only serve to shut its owner out."""
    victim, shown = make.client(make.tenant(), ["booking:read"])
    for n in range(26):  # 52 failures: more than the ten times the limit that once locked a client everywhere
        for _ in range(2):
            assert token_from(client, victim.client_id, "cs_guess", f"10.9.{n}.1").status_code == 401
    assert token_from(client, victim.client_id, shown["client_secret"], "10.0.0.77").status_code == 200


def test_an_ipv6_network_counts_as_one_address(app, client, make):
    """One machine usually holds a whole /64: its addresses share one count."""
    victim, shown = make.client(make.tenant(), ["booking:read"])
    for n in range(6):
        token_from(client, victim.client_id, "cs_guess", f"2001:db8:1:2::{n + 1:x}")
        let_the_slowdown_pass(app)
    assert token_from(client, victim.client_id, shown["client_secret"], "2001:db8:1:2::99").status_code == 429
    assert token_from(client, victim.client_id, shown["client_secret"], "2001:db8:1:3::1").status_code == 200


def test_failures_slow_down_before_they_lock(app, client, make):
    """Default limit 5: three failures answer 401, then each try must wait (unchecked), then a lock-out."""
    app_client, shown = make.client(make.tenant(), ["booking:read"])
    assert [client_credentials(client, app_client.client_id, "cs_guess").status_code for _ in range(3)] == [401] * 3
    for _ in range(2):
        slowed = client_credentials(client, app_client.client_id, shown["client_secret"])  # not even checked
        assert slowed.status_code == 429 and slowed.json["code"] == "too_many_failures"
        assert int(slowed.headers["Retry-After"]) > 0
        let_the_slowdown_pass(app)
        assert client_credentials(client, app_client.client_id, "cs_guess").status_code == 401
    let_the_slowdown_pass(app)  # does not lift a lock-out
    locked = client_credentials(client, app_client.client_id, shown["client_secret"])
    assert locked.status_code == 429 and 60 < int(locked.headers["Retry-After"]) <= app.config["LOGIN_LOCK_SECONDS"]


def test_sign_in_waits_grow_before_the_lock_out(app, client, make, sign_in_page):
    url = sign_in_page(make.tenant())
    statuses = [sign_in_from(client, url, "kim@example.org", "guess guess guess", "10.0.0.1").status_code
                for _ in range(3)]
    assert statuses == [401, 401, 401]
    waits = []
    for _ in range(2):
        slowed = sign_in_from(client, url, "kim@example.org", PASSWORD, "10.0.0.1")
        assert slowed.status_code == 429 and "Too many failed sign-ins" in slowed.get_data(as_text=True)
        waits.append(int(slowed.headers["Retry-After"]))
        let_the_slowdown_pass(app)
        assert sign_in_from(client, url, "kim@example.org", "guess guess guess", "10.0.0.1").status_code == 401
    locked = sign_in_from(client, url, "kim@example.org", PASSWORD, "10.0.0.1")
    assert locked.status_code == 429
    assert 0 < waits[0] < waits[1] < int(locked.headers["Retry-After"]) <= app.config["LOGIN_LOCK_SECONDS"]


# --- 4. no personal data in the lock-out table -------------------------------------
def test_the_lock_out_table_keeps_no_typed_input(app, client, make, sign_in_page):
    url = sign_in_page(make.tenant())
    typed = "MySecretPassw0rd!"  # a password typed into the email field
    assert sign_in_from(client, url, typed, "whatever else", "10.9.8.7").status_code == 401
    app_client, _ = make.client(make.tenant(), ["booking:read"], client_id="food-bank-app")
    assert token_from(client, "food-bank-app", "cs_guess", "10.9.8.7").status_code == 401
    keys = throttle_keys(app)
    assert keys
    for key in keys:
        assert typed.lower() not in key.lower() and "10.9.8.7" not in key and "food-bank-app" not in key, key


# --- 5. counted atomically ------------------------------------------------------------
def test_concurrent_wrong_secrets_are_checked_at_most_the_limit(app, live_server, make):
    import requests

    app_client, _ = make.client(make.tenant(), ["booking:read"])
    srv = live_server(workers=4)
    start = threading.Barrier(40)

    def guess(n):
        try:
            start.wait(timeout=20)
        except threading.BrokenBarrierError:
            pass
        return requests.post(srv.url + "/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(app_client.client_id, f"cs_guess{n}"), timeout=60).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(guess, range(40)))
    assert set(statuses) <= {401, 429}, statuses
    assert 1 <= statuses.count(401) <= app.config["LOGIN_MAX_FAILURES"], statuses


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES": 3}])
@pytest.mark.parametrize("endpoint", ["/oauth/revoke", "/oauth/introspect"])
def test_other_endpoints_that_check_a_secret_share_the_lock_out(client, make, endpoint):
    app_client, shown = make.client(make.tenant(), ["booking:read"], can_introspect=True)
    for _ in range(2):
        guessed = client.post(endpoint, data={"token": "at_whatever"}, headers=basic(app_client.client_id, "cs_guess"))
        assert guessed.status_code == 401
    assert client_credentials(client, app_client.client_id, shown["client_secret"]).status_code == 429
    assert client.post(endpoint, data={"token": "at_whatever"},
                       headers=basic(app_client.client_id, shown["client_secret"])).status_code == 429


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_basic_credentials_that_are_not_utf8_are_refused_not_a_500(client, endpoint):
    import base64

    header = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()}
    response = client.post(endpoint, data={"grant_type": "client_credentials", "token": "x"}, headers=header)
    assert response.status_code == 401 and response.json["code"] == "invalid_client"
