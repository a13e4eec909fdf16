"""`Idempotency-Key` on creating POSTs: replay, misuse, concurrent duplicates, failures free the key."""
import threading
from concurrent.futures import ThreadPoolExecutor

from flask.views import MethodView

from tests.conftest import postgres_only
from tests.core.conftest import assert_problem, count

TENANT = {"slug": "food-bank", "name": "Food Bank", "kind": "voluntary"}


def post(client, headers, key, body=TENANT):
    return client.post("/v1/admin/tenants", json=body, headers={**headers, "Idempotency-Key": key})


def test_the_same_key_and_body_replays_the_first_response(app, client, steward):
    tenants = count(app, "tenant")
    first = post(client, steward, "create-food-bank")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post(client, steward, "create-food-bank")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    assert again.mimetype == "application/json"
    assert count(app, "tenant") == tenants + 1


def test_the_same_key_with_another_body_is_a_422(app, client, steward):
    assert post(client, steward, "k-1").status_code == 201
    response = post(client, steward, "k-1", {**TENANT, "name": "Another Name"})
    assert_problem(response, 422, "idempotency_key_reused")


def test_the_same_key_on_another_query_string_is_a_422(client, steward):
    assert post(client, steward, "k-q").status_code == 201
    response = client.post("/v1/admin/tenants?tenant=other", json=TENANT,
                           headers={**steward, "Idempotency-Key": "k-q"})
    assert_problem(response, 422, "idempotency_key_reused")


def test_keys_belong_to_their_client(client, make, steward):
    """Another client's identical key is not a replay of someone else's response."""
    other = make.headers(make.tenant("other-council"), "platform:admin")
    assert post(client, steward, "shared-key").status_code == 201
    response = post(client, other, "shared-key", {**TENANT, "slug": "other-bank"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


def test_a_failed_request_frees_the_key(app, client, steward):
    bad = post(client, steward, "k-2", {**TENANT, "slug": "Not Valid"})
    assert_problem(bad, 422, "validation_failed")
    assert count(app, "core_idempotency_key") == 0
    taken = post(client, steward, "k-3", {**TENANT, "slug": "steward-council"})  # 409 slug_taken
    assert_problem(taken, 409, "slug_taken")
    retry = post(client, steward, "k-3", {**TENANT, "slug": "steward-council"})
    assert_problem(retry, 409, "slug_taken")  # the same failure again, not a replay
    assert "Idempotent-Replayed" not in retry.headers
    fixed = post(client, steward, "k-2")
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


def test_an_empty_or_huge_key_is_refused(client, steward):
    assert_problem(post(client, steward, " "), 422, "invalid_idempotency_key")
    assert_problem(post(client, steward, "x" * 256), 422, "invalid_idempotency_key")


@postgres_only
def test_a_duplicate_while_the_first_is_running_is_a_409(app_with_route, make):
    """Hold the first request inside its view; the duplicate arrives meanwhile.

    (On SQLite writers are serialised: the duplicate queues and replays; see test_idempotency_security.)
    """
    from civic.core.auth import require

    started, release = threading.Event(), threading.Event()

    class Slow(MethodView):
        @require("platform:admin")
        def post(self):
            started.set()
            release.wait(30)
            return {"done": True}, 201

    app = app_with_route("/v1/slow", Slow)
    steward = make.headers(make.tenant("slow-council"), "platform:admin")
    client = app.test_client()
    headers = {**steward, "Idempotency-Key": "slow-1"}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.post, "/v1/slow", json={"n": 1}, headers=headers)
        assert started.wait(30)
        duplicate = client.post("/v1/slow", json={"n": 1}, headers=headers)
        release.set()
        first = first.result(30)
    assert_problem(duplicate, 409, "idempotency_in_progress")
    assert duplicate.headers["Retry-After"]
    assert first.status_code == 201 and first.get_json() == {"done": True}
    replay = client.post("/v1/slow", json={"n": 1}, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"


def test_concurrent_duplicates_against_a_real_server_create_one_tenant(app, steward, live_server):
    """Real concurrency: eight threads send the same creating POST at once to `civic serve`."""
    import requests

    server = live_server()
    tenants = count(app, "tenant")
    barrier = threading.Barrier(8)

    def send(_):
        barrier.wait()
        return requests.post(server.url + "/v1/admin/tenants", json=TENANT, timeout=30,
                             headers={**steward, "Idempotency-Key": "burst-1"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.json()["id"] for r in created}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in created) == 1
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.headers["Content-Type"] == "application/problem+json"
        assert conflict.json()["code"] == "idempotency_in_progress"
    assert count(app, "tenant") == tenants + 1
    replay = requests.post(server.url + "/v1/admin/tenants", json=TENANT, timeout=30,
                           headers={**steward, "Idempotency-Key": "burst-1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["id"] == created[0].json()["id"]
