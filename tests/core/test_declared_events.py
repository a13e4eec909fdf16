"""Declared events: only declared types are emitted, without personal data, listed in a catalogue, and
consumed by subscribers that run after the change commits (never after a rollback), retried, dead-lettered."""
import uuid
from pathlib import Path

import flask
import pytest
from flask.views import MethodView
from marshmallow import Schema, fields

from civic.core import events, jobs
from civic.core.db import session, unit_of_work
from tests.core.conftest import assert_problem, count

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "events.md"
# Names that would carry a person's details, whatever the component: a payload holds ids and codes.
FORBIDDEN = {"name", "email", "phone", "description", "address", "note", "reason", "attendee", "reporter",
             "first_name", "last_name", "full_name", "postcode", "comment", "message"}


class TenantMadeData(Schema):
    tenant_id = fields.UUID(required=True)


TENANT_MADE = events.EventType("civic.declaredtest.tenant_made", "A tenant was made (for these tests).",
                               TenantMadeData)


# --- only declared types --------------------------------------------------------------
def test_an_undeclared_event_type_cannot_be_emitted(app, make):
    tenant = make.tenant()
    before = count(app, "core_event")
    with app.app_context(), pytest.raises(LookupError, match="civic.booking.made_up"):
        with unit_of_work():
            events.emit("civic.booking.made_up", tenant_id=tenant.id, subject="1", data={})
    assert count(app, "core_event") == before


@pytest.mark.parametrize("data", [{}, {"tenant_id": "not-a-uuid"}, {"tenant_id": None},
                                  {"tenant_id": "5f0c3c1e-3f0e-4d8e-9d8e-1c2b3a4d5e6f", "email": "sam@example.org"}],
                         ids=["missing", "wrong kind", "null", "undeclared field"])
def test_a_payload_its_schema_refuses_cannot_be_emitted_and_nothing_is_written(app, make, data):
    tenant = make.tenant()
    before = count(app, "core_event")
    with app.app_context(), pytest.raises(events.InvalidPayload, match="civic.declaredtest.tenant_made"):
        with unit_of_work():
            TENANT_MADE.emit(tenant_id=tenant.id, subject=str(tenant.id), data=data)
    assert count(app, "core_event") == before


def test_production_checks_payloads_too(app, make):
    """Not only tests: the check is in `emit` itself, whatever CIVIC_ENV says."""
    tenant = make.tenant()
    app.config.update(ENV="production", TESTING=False, DEBUG=False)
    with app.app_context(), pytest.raises(events.InvalidPayload), unit_of_work():
        TENANT_MADE.emit(tenant_id=tenant.id, subject=str(tenant.id), data={"tenant_id": "nope"})


def test_an_undeclared_event_type_cannot_be_subscribed_to(app):
    with pytest.raises(LookupError, match="civic.booking.booked"):
        events.subscribe(app, "civic.booking.booked", "core.noop")


def test_an_event_type_is_declared_once_and_named_after_its_component():
    with pytest.raises(ValueError, match="declared twice"):
        events.EventType("civic.declaredtest.tenant_made", "Again.", TenantMadeData)
    with pytest.raises(ValueError, match="civic.<component>.<thing>"):
        events.EventType("booking_created", "No component.", TenantMadeData)


def test_every_component_declares_its_events_with_a_description_and_a_schema(app):
    declared = events.declared(app)
    assert {e.component for e in declared} == set(app.extensions["civic.components"]) & {"booking", "reporting", "notify", "payments", "casework", "flows", "privacy"}
    for event in declared:
        assert event.description and "\n" not in event.description, event.type
        assert event.fields(), event.type
    assert "civic.declaredtest.tenant_made" not in {e.type for e in declared}  # only enabled components'


def test_no_payload_carries_personal_data(app):
    registered = {field for entry in app.extensions["civic.privacy"] for field in entry.fields}
    assert registered  # the registry is there to check against
    # A registry column such as `attendee_email` forbids `attendee_email` and `email` alike.
    forbidden = FORBIDDEN | registered | {part for field in registered for part in field.split("_")
                                          if part not in {"id", "at"}}
    for event in events.declared(app):
        assert not set(event.fields()) & forbidden, (event.type, set(event.fields()) & forbidden)


# --- subscribers run after commit -------------------------------------------------------
@pytest.fixture
def subscribed_app(app_with_route):
    """A route that makes a tenant and emits TENANT_MADE (then fails if asked); a job subscribed to it."""
    from civic.core.auth import require
    from civic.core.errors import Problem
    from civic.gateway import service

    class Tenants(MethodView):
        @require("platform:admin")
        def post(self):
            body = flask.request.get_json()
            tenant = service.create_tenant(slug=body["slug"], name="Made")
            TENANT_MADE.emit(tenant_id=tenant.id, subject=str(tenant.id), data={"tenant_id": str(tenant.id)})
            if body.get("fail"):
                raise Problem(409, "refused", "Refused after the event was written.")
            return {"id": str(tenant.id)}, 201

    app = app_with_route("/v1/made", Tenants, methods=["POST"])
    app.seen = []

    def handler(payload, job):
        from civic.core.tenancy import Tenant, tenant_by_slug

        tenant = session.get(Tenant, uuid.UUID(payload["data"]["tenant_id"]))
        # It sees the committed change: the handler runs after the request's transaction.
        app.seen.append((payload["type"], tenant.slug, tenant_by_slug(tenant.slug) is not None))
        if app.config.get("HANDLER_FAILS"):
            raise ConnectionError("the other system is down")

    jobs.register(app, "test.tenant_made", handler, max_attempts=2)
    TENANT_MADE.subscribe(app, "test.tenant_made")
    return app


@pytest.fixture
def steward_headers(make):
    return lambda app: make.headers(make.tenant(f"steward-{uuid.uuid4().hex[:6]}"), "platform:admin")


def test_a_subscriber_runs_after_commit_and_not_after_rollback(subscribed_app, steward_headers):
    app, headers = subscribed_app, steward_headers(subscribed_app)
    worker = jobs.Worker(app)
    refused = app.test_client().post("/v1/made", json={"slug": "refused", "fail": True}, headers=headers)
    assert_problem(refused, 409, "refused")
    worker.drain()
    assert app.seen == []  # rolled back: no event, no job, nothing ran
    made = app.test_client().post("/v1/made", json={"slug": "made"}, headers=headers)
    assert made.status_code == 201
    assert app.seen == []  # not during the request
    worker.drain()
    assert app.seen == [("civic.declaredtest.tenant_made", "made", True)]
    worker.drain()
    assert len(app.seen) == 1  # once per event


def test_a_failing_subscriber_retries_then_dead_letters_and_the_change_stays(subscribed_app, steward_headers):
    from tests.core.test_events_jobs import job_row, make_due

    app, headers = subscribed_app, steward_headers(subscribed_app)
    app.config["HANDLER_FAILS"] = True
    made = app.test_client().post("/v1/made", json={"slug": "kept"}, headers=headers)
    assert made.status_code == 201
    worker = jobs.Worker(app)
    worker.drain()
    with app.app_context():
        [job] = list(session.scalars(jobs.list_jobs().where(jobs.Job.name == "test.tenant_made")))
    assert (job.status, job.attempts) == ("pending", 1) and "the other system is down" in job.last_error
    make_due(app, job.id)
    worker.drain()
    assert (job_row(app, job.id).status, job_row(app, job.id).attempts) == ("dead", 2)
    assert len(app.seen) == 2
    with app.app_context():
        from civic.core.tenancy import tenant_by_slug

        assert tenant_by_slug("kept") is not None  # the handler's failure never undoes the change


# --- the catalogue ----------------------------------------------------------------------
def test_the_committed_catalogue_is_the_generated_one(app):
    assert CATALOGUE.read_text(encoding="utf-8") == events.catalogue_markdown(app), (
        "docs/events.md is out of date: write civic.core.events.catalogue_markdown(app) to it")


def test_any_valid_token_lists_the_event_types_with_their_payload_schemas(app, client, make):
    assert_problem(client.get("/v1/events/types"), 401)
    response = client.get("/v1/events/types", headers=make.headers(make.tenant(), "reporting:read"))
    assert response.status_code == 200, response.json
    items = {item["type"]: item for item in response.json["items"]}
    assert set(items) == {e.type for e in events.declared(app)}
    created = items["civic.booking.created"]
    assert created["component"] == "booking" and created["description"] == "A place was booked, directly or from a hold."
    schema = created["payload_schema"]
    assert schema["type"] == "object" and set(schema["properties"]) == set(events.DECLARED["civic.booking.created"].fields())
    assert schema["properties"]["booking_id"] == {"type": "string", "format": "uuid"}


def test_the_event_catalogue_is_in_the_openapi_spec(client):
    spec = client.get("/openapi.json").json
    operation = spec["paths"]["/v1/events/types"]["get"]
    assert operation["summary"].startswith("List the kinds of event")
