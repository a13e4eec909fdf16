"""The transparency register and the steward's record of processing, through HTTP."""
from civic.core import privacy

from tests.casework.test_referrals import live_agreement, pair, propose  # noqa: F401  (pair: a fixture)
from tests.core.conftest import assert_problem
from tests.privacy.conftest import Org

NOTICE = "/v1/privacy/transparency"


def test_the_register_is_made_from_the_registry_for_the_enabled_components(app, client, make):
    org = Org(client, make, components=["booking", "reporting", "privacy"])
    client.put("/v1/privacy/retention", headers=org.admin, json={"periods": [{"data_class": "booking", "days": 90}]})
    got = client.get(f"{NOTICE}/{org.tenant.slug}")
    assert got.status_code == 200, got.get_json()
    body = got.get_json()
    assert body["organisation"]["slug"] == org.tenant.slug
    entries = {e.component: e for e in privacy.registry(app)}
    assert [c["component"] for c in body["components"]] == [e.component for e in privacy.registry(app)
                                                             if e.component in ("booking", "reporting", "privacy")]
    for held in body["components"]:
        entry = entries[held["component"]]
        assert entry.lawful_basis and entry.categories_of_people and entry.categories_of_data
        assert (held["purpose"], held["lawful_basis"], held["fields"]) == (entry.purpose, entry.lawful_basis,
                                                                            list(entry.fields))
        assert held["categories_of_people"] == list(entry.categories_of_people)
        assert held["categories_of_data"] == list(entry.categories_of_data)
        assert held["retention"]["from"] == entry.clock
    days = {c["component"]: c["retention"]["days"] for c in body["components"]}
    assert days == {"booking": 90, "reporting": entries["reporting"].retention_days, "privacy": None}
    page = client.get(f"{NOTICE}/{org.tenant.slug}.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert entries["booking"].purpose in text.replace("&#x27;", "'") and "Casework" not in text
    assert "<script" not in text and "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_an_unknown_suspended_or_privacy_off_organisation_is_a_404(client, make, steward):
    off = Org(client, make, components=["booking"])
    for slug in ("no-such-place", off.tenant.slug):
        assert_problem(client.get(f"{NOTICE}/{slug}"), 404, "not_found")
        assert_problem(client.get(f"{NOTICE}/{slug}.html"), 404, "not_found")
    org = Org(client, make)
    assert client.get(f"{NOTICE}/{org.tenant.slug}").status_code == 200
    assert client.post(f"/v1/admin/tenants/{org.tenant.slug}/suspend", headers=steward).status_code in (200, 204)
    assert_problem(client.get(f"{NOTICE}/{org.tenant.slug}"), 404, "not_found")


def test_the_page_escapes_the_organisations_name(client, make):
    org = Org(client, make, name="<script>alert(1)</script> Trust")
    text = client.get(f"{NOTICE}/{org.tenant.slug}.html").get_data(as_text=True)
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; Trust" in text
    assert client.get(f"{NOTICE}/{org.tenant.slug}").get_json()["organisation"]["name"].startswith("<script>")


def test_the_processing_record_is_the_stewards_only(app, client, org, steward):
    assert_problem(client.get("/v1/privacy/processing-record", headers=org.admin), 403, "insufficient_scope")
    assert client.get("/v1/privacy/processing-record").status_code == 401
    got = client.get("/v1/privacy/processing-record", headers=steward)
    assert got.status_code == 200, got.get_json()
    body = got.get_json()
    assert [a["component"] for a in body["activities"]] == [e.component for e in privacy.registry(app)]
    for activity in body["activities"]:
        assert activity["lawful_basis"] and activity["categories_of_people"] and activity["security_measures"]
        assert activity["transfers"] == [] and activity["recipients"]
    mine = next(c for c in body["controllers"] if c["slug"] == org.tenant.slug)
    assert mine["components"] == [e.component for e in privacy.registry(app)]  # every component enabled


def test_the_agreements_in_force_are_named_on_both_parties_notices(client, pair):
    council, charity = pair
    agreement = live_agreement(client, council, charity)
    propose(client, council, charity, title="Not yet approved")
    for org, other in ((council, charity), (charity, council)):
        body = client.get(f"{NOTICE}/{org.tenant.slug}").get_json()
        (case,) = [c for c in body["components"] if c["component"] == "casework"]
        assert [(s["title"], s["with"]) for s in case["shared_with"]] == [(agreement["title"], other.tenant.name)]
        assert case["shared_with"][0]["fields"] == agreement["shared_fields"]
        assert all(c["shared_with"] == [] for c in body["components"] if c["component"] != "casework")
        text = client.get(f"{NOTICE}/{org.tenant.slug}.html").get_data(as_text=True)
        assert "Befriending referrals" in text and "Not yet approved" not in text
