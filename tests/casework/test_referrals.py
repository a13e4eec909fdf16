"""Referrals between two organisations under a data-sharing agreement, through the HTTP API: the round
trip, every refusal, and a search of the receiver's rows, events and jobs for anything not agreed."""
import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa

from tests.casework.conftest import Org

TODAY = dt.date.today()
SECRETS = ("9434765919", "1950-04-02", "alex@example.org", "High risk of falls", "Internal: owes rent",
           "Walking group")  # on the council's case, none of them in the agreement


def agreement_body(partner: str, **overrides) -> dict:
    return {"partner": partner, "title": "Befriending referrals", "proposer_role": "controller",
            "partner_role": "controller", "purpose": "Refer isolated residents to befriending.",
            "lawful_basis": "public_task", "shared_fields": ["subject.name", "subject.phone", "fields.ward", "notes"],
            "retention_days": 365, "starts_on": (TODAY - dt.timedelta(days=1)).isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=365)).isoformat(),
            "review_on": (TODAY + dt.timedelta(days=180)).isoformat(), "rights_contact": "dpo@council.example",
            **overrides}


@pytest.fixture
def pair(client, make):
    council, charity = Org(make, "council-" + uuid.uuid4().hex[:6]), Org(make, "charity-" + uuid.uuid4().hex[:6])
    council.define(client, fields_schema={"type": "object", "properties": {
        "ward": {"type": "string"}, "risk": {"type": "string"}}})
    charity.define(client, key="befriending", fields_schema={"type": "object", "properties": {"ward": {"type": "string"}}})
    return council, charity


def propose(client, council, charity, **overrides) -> dict:
    response = client.post("/v1/casework/agreements", json=agreement_body(charity.tenant.slug, **overrides),
                           headers=council.admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def approve(client, org, agreement):
    return client.post(f"/v1/casework/agreements/{agreement['id']}/approve", headers=org.admin)


def live_agreement(client, council, charity, **overrides) -> dict:
    agreement = propose(client, council, charity, **overrides)
    assert approve(client, council, agreement).get_json()["status"] == "proposed"
    assert approve(client, charity, agreement).get_json()["status"] == "active"
    return agreement


def council_case(client, council) -> dict:
    case = council.case(client, title="Walking group", fields={"ward": "Riverside North", "risk": "High risk of falls"})
    for body, shareable in (("Likes Thursdays", True), ("Internal: owes rent", False)):
        client.post(f"/v1/casework/cases/{case['id']}/notes", json={"body": body, "shareable": shareable},
                    headers=council.worker)
    return case


def refer(client, council, case, agreement, **body):
    return client.post(f"/v1/casework/cases/{case['id']}/referrals", json={"agreement_id": agreement["id"], **body},
                       headers=council.worker)


def _rows_of(app, tenant_id) -> str:
    """Everything stored for one organisation: its rows in every table, its events and its jobs."""
    from civic.core.db import Base, session
    from civic.core.tenancy import place_wide

    dump = []
    with app.app_context(), place_wide("tests.inspection"):
        for table in Base.metadata.sorted_tables:
            if "tenant_id" in table.c and table.name != "core_audit":
                rows = session.execute(sa.select(table).where(table.c.tenant_id == tenant_id)).mappings().all()
                dump += [json.dumps({k: str(v) for k, v in row.items()}) for row in rows]
    return "\n".join(dump)


def test_the_round_trip_shares_only_what_was_agreed(app, client, pair, worker):
    council, charity = pair
    agreement = live_agreement(client, council, charity)
    case = council_case(client, council)
    sent = refer(client, council, case, agreement)
    assert sent.status_code == 201, sent.get_json()
    referral = sent.get_json()
    assert referral["shared"] == {"subject": {"name": "Alex Rivers", "phone": "+442079460018"},
                                  "fields": {"ward": "Riverside North"}, "notes": ["Likes Thursdays"]}
    inbox = client.get("/v1/casework/referrals", headers=charity.worker).get_json()["items"]
    assert [r["id"] for r in inbox] == [referral["id"]] and inbox[0]["case_id"] is None
    accepted = client.post(f"/v1/casework/referrals/{referral['id']}/accept", headers=charity.worker,
                           json={"case_type": "befriending", "team": "volunteers"})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    theirs = client.get(f"/v1/casework/cases/{accepted.get_json()['receiver_case_id']}", headers=charity.worker).get_json()
    assert theirs["subject"]["name"] == "Alex Rivers" and theirs["subject"]["nhs_number"] is None
    assert theirs["referral_id"] == referral["id"] and theirs["fields"] == {"ward": "Riverside North"}
    again = client.post(f"/v1/casework/referrals/{referral['id']}/accept", headers=charity.worker,
                        json={"case_type": "befriending"})
    assert again.status_code == 409 and again.get_json()["code"] == "referral_not_open"
    outcome = client.post(f"/v1/casework/referrals/{referral['id']}/outcome", headers=charity.worker,
                          json={"outcome": "completed", "message": "Joined the Thursday group."})
    assert outcome.status_code == 200 and outcome.get_json()["status"] == "completed"
    seen_by_council = client.get(f"/v1/casework/referrals/{referral['id']}", headers=council.viewer).get_json()
    assert seen_by_council["status"] == "completed" and seen_by_council["outcome"] == "completed"
    assert seen_by_council["case_id"] == case["id"]
    kinds = [e["kind"] for e in client.get(f"/v1/casework/cases/{case['id']}/timeline",
                                           headers=council.worker).get_json()["items"]]
    assert kinds[-3:] == ["referral_sent", "referral_accepted", "referral_outcome"]
    worker.drain()
    stored = _rows_of(app, charity.tenant.id)
    assert stored and "Alex Rivers" in stored  # the search finds what was shared ...
    for secret in SECRETS:
        assert secret not in stored, secret  # ... and nothing that was not
    answers = json.dumps([inbox, accepted.get_json(), theirs, outcome.get_json()])
    assert not [s for s in SECRETS if s in answers]
    from civic.core.audit import AuditEntry
    from civic.core.db import session
    from civic.core.events import Event
    with app.app_context():
        types = {e.type: e.tenant_id for e in session.scalars(sa.select(Event).where(Event.type.like("civic.casework.referral%")))}
        assert types == {"civic.casework.referral_sent": charity.tenant.id,
                         "civic.casework.referral_accepted": council.tenant.id,
                         "civic.casework.referral_outcome": council.tenant.id}
        reads = session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("casework.referral_read%"))).all()
        assert {(r.tenant_id, r.action) for r in reads} == {(charity.tenant.id, "casework.referral_read"),
                                                             (council.tenant.id, "casework.referral_read_by_receiver")}


def test_a_declined_referral_says_why_to_the_referrer(client, pair):
    council, charity = pair
    agreement = live_agreement(client, council, charity)
    referral = refer(client, council, council_case(client, council), agreement).get_json()
    declined = client.post(f"/v1/casework/referrals/{referral['id']}/decline", headers=charity.worker,
                           json={"reason": "Waiting list closed."})
    assert declined.get_json()["status"] == "declined"
    assert client.get(f"/v1/casework/referrals/{referral['id']}", headers=council.worker).get_json()["decline_reason"] == \
        "Waiting list closed."
    outcome = client.post(f"/v1/casework/referrals/{referral['id']}/outcome", headers=charity.worker,
                          json={"outcome": "completed"})
    assert outcome.status_code == 409 and outcome.get_json()["code"] == "referral_not_open"


def test_every_refusal(client, pair, make):
    council, charity = pair
    case = council_case(client, council)
    proposed = propose(client, council, charity)
    assert refer(client, council, case, proposed).get_json()["code"] == "agreement_not_live"  # not approved
    approve(client, council, proposed)
    assert refer(client, council, case, proposed).get_json()["code"] == "agreement_not_live"  # one side only
    expired = live_agreement(client, council, charity, starts_on=(TODAY - dt.timedelta(days=30)).isoformat(),
                             ends_on=(TODAY - dt.timedelta(days=1)).isoformat())
    assert refer(client, council, case, expired).status_code == 409
    future = live_agreement(client, council, charity, starts_on=(TODAY + dt.timedelta(days=3)).isoformat())
    assert refer(client, council, case, future).get_json()["code"] == "agreement_not_live"
    live = live_agreement(client, council, charity)
    outside = refer(client, council, case, live, fields=["subject.name", "subject.nhs_number"])
    assert outside.status_code == 422 and outside.get_json()["code"] == "field_not_in_agreement"
    assert refer(client, council, case, live, reason="Lonely").get_json()["code"] == "field_not_in_agreement"
    assert refer(client, council, case, {"id": str(uuid.uuid4())}).status_code == 404
    ended = live_agreement(client, council, charity)
    assert client.post(f"/v1/casework/agreements/{ended['id']}/end", headers=council.admin).status_code == 200
    assert refer(client, council, case, ended).get_json()["code"] == "agreement_not_live"
    consent = live_agreement(client, council, charity, lawful_basis="consent")
    assert refer(client, council, case, consent).get_json()["code"] == "consent_not_recorded"
    client.patch(f"/v1/casework/cases/{case['id']}", headers=council.worker,
                 json={"subject": {"name": "Alex Rivers", "phone": "020 7946 0018", "consent_to_share": True}})
    assert refer(client, council, case, consent).status_code == 201
    # Nobody else may see or answer it, or the agreements.
    stranger = Org(make)
    inbox = client.get("/v1/casework/referrals", headers=charity.worker).get_json()["items"]
    assert len(inbox) == 1
    rid = inbox[0]["id"]
    for method, path, body in (("GET", f"/referrals/{rid}", None), ("POST", f"/referrals/{rid}/accept", {"case_type": "x"}),
                               ("POST", f"/referrals/{rid}/decline", {"reason": "x"}),
                               ("GET", f"/agreements/{live['id']}", None), ("POST", f"/agreements/{live['id']}/approve", None)):
        response = client.open("/v1/casework" + path, method=method, json=body, headers=stranger.admin)
        assert response.status_code == 404, (method, path)
    assert client.get("/v1/casework/referrals", headers=stranger.admin).get_json()["items"] == []
    assert client.get("/v1/casework/referrals?direction=sent", headers=charity.admin).get_json()["items"] == []
    # The sender cannot answer its own referral.
    assert client.post(f"/v1/casework/referrals/{rid}/accept", headers=council.admin,
                       json={"case_type": "social-prescribing"}).status_code == 404
    assert client.post(f"/v1/casework/referrals/{rid}/decline", headers=charity.viewer,
                       json={"reason": "x"}).status_code == 403


def test_agreements_need_admins_and_a_real_partner_and_the_steward_sees_the_log(client, pair, steward):
    council, charity = pair
    for headers in (council.worker, council.viewer):
        assert client.post("/v1/casework/agreements", json=agreement_body(charity.tenant.slug),
                           headers=headers).status_code == 403
    for partner in (council.tenant.slug, "no-such-org"):
        response = client.post("/v1/casework/agreements", json=agreement_body(partner), headers=council.admin)
        assert response.status_code == 422 and response.get_json()["code"] == "agreement_party_invalid"
    bad = client.post("/v1/casework/agreements", headers=council.admin,
                      json=agreement_body(charity.tenant.slug, shared_fields=["subject.religion"]))
    assert bad.get_json()["code"] == "validation_failed"
    agreement = propose(client, council, charity)
    assert approve(client, charity, agreement).status_code == 200
    assert client.post(f"/v1/casework/agreements/{agreement['id']}/approve", headers=charity.worker).status_code == 403
    for org in (council, charity):
        assert [a["id"] for a in client.get("/v1/casework/agreements", headers=org.viewer).get_json()["items"]] == \
            [agreement["id"]]
    place = client.get("/v1/casework/agreements", headers=steward).get_json()["items"]
    assert agreement["id"] in [a["id"] for a in place]


def test_a_consent_withdrawn_or_expired_in_the_register_stops_a_referral_on_consent(client, pair, make):
    council, charity = pair
    register = make.headers(council.tenant, "privacy:read", "privacy:write")
    consent = live_agreement(client, council, charity, lawful_basis="consent")
    case = council_case(client, council)
    person = {"phone": "020 7946 0018"}  # the case's subject, by the phone the case holds
    # Nothing on the case, nothing in the register: refused; a live consent in the register suffices.
    assert refer(client, council, case, consent).get_json()["code"] == "consent_not_recorded"
    given = client.post("/v1/privacy/consents", headers=register, json={
        "subject": person, "purpose": "referral", "description": "To be referred to befriending",
        "collection_method": "phone call with the caseworker"})
    assert given.status_code == 201, given.get_json()
    assert refer(client, council, case, consent).status_code == 201
    # Withdrawn in the register: refused, even though the case now records consent to share.
    client.patch(f"/v1/casework/cases/{case['id']}", headers=council.worker,
                 json={"subject": {"name": "Alex Rivers", "phone": "020 7946 0018", "consent_to_share": True}})
    assert client.post(f"/v1/privacy/consents/{given.get_json()['id']}/withdraw", headers=register,
                       json={"method": "letter"}).status_code == 200
    refused = refer(client, council, case, consent)
    assert refused.status_code == 409 and refused.get_json()["code"] == "consent_withdrawn"
    # A referral on another basis is not a matter of consent.
    assert refer(client, council, case, live_agreement(client, council, charity)).status_code == 201
    # A consent that lapsed (recorded on another channel) does not bring it back either.
    lapsed = client.post("/v1/privacy/consents", headers=register, json={
        "subject": person, "purpose": "referral", "channel": "sms", "description": "To be referred to befriending",
        "collection_method": "form", "given_at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=9)).isoformat(),
        "expires_at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()})
    assert lapsed.status_code == 201, lapsed.get_json()
    assert refer(client, council, case, consent).get_json()["code"] == "consent_withdrawn"


def test_consent_to_share_given_or_taken_back_on_a_case_is_written_in_the_register(client, pair, make):
    council, _ = pair
    register = make.headers(council.tenant, "privacy:read", "privacy:write")
    case = council_case(client, council)
    subject = {"name": "Alex Rivers", "phone": "020 7946 0018"}

    def consents():
        answer = client.post("/v1/privacy/consents/search", headers=register,
                             json={"subject": {"phone": "020 7946 0018"}, "purpose": "referral"})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["items"]

    assert consents() == []
    given = client.patch(f"/v1/casework/cases/{case['id']}", headers=council.worker,
                         json={"subject": {**subject, "consent_to_share": True}})
    assert given.status_code == 200 and given.get_json()["subject"]["consent_recorded_at"]
    (recorded,) = consents()
    assert recorded["state"] == "given" and case["id"] in recorded["collection_method"]
    taken = client.patch(f"/v1/casework/cases/{case['id']}", headers=council.worker,
                         json={"subject": {**subject, "consent_to_share": False}})
    assert taken.status_code == 200
    (withdrawn,) = consents()
    assert withdrawn["id"] == recorded["id"] and withdrawn["state"] == "withdrawn"
    assert case["id"] in withdrawn["withdrawal_method"]


def test_a_caseworker_cannot_revive_a_withdrawn_consent_and_a_household_members_consent_is_not_theirs(client, pair,
                                                                                                       make):
    council, charity = pair
    register = make.headers(council.tenant, "privacy:read", "privacy:write")
    consent = live_agreement(client, council, charity, lawful_basis="consent")
    case = council_case(client, council)  # Alex Rivers, phone 020 7946 0018 and alex@example.org
    # Pat shares Alex's phone and consented to be referred: that is Pat's consent, not Alex's.
    pats = client.post("/v1/privacy/consents", headers=register, json={
        "subject": {"phone": "020 7946 0018", "email": "pat@example.org"}, "purpose": "referral",
        "description": "To be referred", "collection_method": "phone call"})
    assert pats.status_code == 201, pats.get_json()
    assert refer(client, council, case, consent).get_json()["code"] == "consent_not_recorded"
    # Alex consents on the case, then withdraws through the register; toggling the case does not bring it back.
    subject = {"name": "Alex Rivers", "phone": "020 7946 0018", "email": "alex@example.org"}
    client.patch(f"/v1/casework/cases/{case['id']}", headers=council.worker,
                 json={"subject": {**subject, "consent_to_share": True}})
    (alexs,) = client.post("/v1/privacy/consents/search", headers=register, json={
        "subject": {"email": "alex@example.org"}, "purpose": "referral"}).get_json()["items"]
    assert client.post(f"/v1/privacy/consents/{alexs['id']}/withdraw", headers=register,
                       json={"method": "letter"}).status_code == 200
    for flag in (False, True):
        client.patch(f"/v1/casework/cases/{case['id']}", headers=council.worker,
                     json={"subject": {**subject, "consent_to_share": flag}})
    assert client.get(f"/v1/privacy/consents/{alexs['id']}", headers=register).get_json()["state"] == "withdrawn"
    assert refer(client, council, case, consent).get_json()["code"] == "consent_withdrawn"
    assert client.get(f"/v1/privacy/consents/{pats.get_json()['id']}", headers=register).get_json()["state"] == "given"


def test_a_consent_that_lapsed_in_the_register_stops_a_referral_on_consent(client, pair, make):
    council, charity = pair
    register = make.headers(council.tenant, "privacy:read", "privacy:write")
    consent = live_agreement(client, council, charity, lawful_basis="consent")
    case = council.case(client, subject={"name": "Jo Lapsed", "email": "jo@example.org", "consent_to_share": True})
    assert refer(client, council, case, consent).status_code == 201  # the case's consent, live in the register
    now = dt.datetime.now(dt.timezone.utc)
    lapsed = client.post("/v1/privacy/consents", headers=register, json={
        "subject": {"email": "jo@example.org"}, "purpose": "referral", "channel": "email",
        "description": "To be referred for a year", "collection_method": "paper form",
        "given_at": (now - dt.timedelta(days=400)).isoformat(), "expires_at": now.isoformat()})
    assert lapsed.status_code == 201, lapsed.get_json()
    # The register's latest word about Jo is now the lapse (after the case's consent was recorded): refused.
    refused = refer(client, council, case, consent)
    assert refused.status_code == 409 and refused.get_json()["code"] == "consent_withdrawn"
