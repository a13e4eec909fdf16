"""Organisations with real objects made over the HTTP API, and a valid body for every writing route.

CREATORS maps each id-bearing path template to a function that makes a fresh object
as tenant A and returns the URL values that name it. BODIES maps each writing route
to a valid body. A route added later without an entry makes a test fail and say so.
"""
import datetime as dt
import urllib.parse
import uuid
import zoneinfo

from civic.gateway.service import KNOWN_SCOPES

from tests.assurance.catalogue import STEWARD, Operation
from tests.builders import WEEKDAYS, create_booking, create_category, create_report, create_resource

TENANT_SCOPES = tuple(s for s in KNOWN_SCOPES if s != STEWARD)
LONDON = zoneinfo.ZoneInfo("Europe/London")
PASSWORD = "correct horse battery staple"


def _slot(days: int, hour: int = 10) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON).isoformat()


class World:
    """Tenant A (owns everything made here), tenant B (the intruder), tenant C (receives transfers), a steward."""

    def __init__(self, client, make):
        self.client, self.make = client, make
        self.marker = f"alpha{uuid.uuid4().hex[:10]}"  # in every name and reference tenant A gives
        self.a = make.tenant(f"{self.marker}-org", name=f"{self.marker} Trust")
        self._tenants: dict = {}
        self._tokens: dict = {}
        self.made: list[dict] = []  # every object A made, as the API returned it
        self._c_category = None

    def _tenant(self, name: str, **overrides):
        if name not in self._tenants:
            self._tenants[name] = self.make.tenant(**overrides)
        return self._tenants[name]

    b = property(lambda self: self._tenant("b"))
    c = property(lambda self: self._tenant("c"))
    council = property(lambda self: self._tenant("council", kind="council"))

    # --- callers --------------------------------------------------------------------
    def headers(self, tenant, scopes) -> dict:
        key = (tenant.id, frozenset(scopes))
        if key not in self._tokens:
            self._tokens[key] = self.make.headers(tenant, *sorted(scopes))
        return self._tokens[key]

    def as_a(self) -> dict:
        return self.headers(self.a, TENANT_SCOPES)

    def steward(self) -> dict:
        return self.headers(self.council, (STEWARD,))

    def owner_of(self, op: Operation) -> dict:
        """Who may legitimately call `op` on A's objects: A itself, or the steward for steward-only routes."""
        return self.steward() if op.steward_only else self.as_a()

    def create(self, path: str, body: dict, headers: dict | None = None) -> dict:
        response = self.client.post(path, json=body, headers=headers or self.as_a())
        assert response.status_code == 201, (path, response.status_code, response.get_json())
        return self._made(response.get_json())

    def _made(self, thing: dict) -> dict:
        self.made.append(thing)
        return thing

    def secrets(self) -> list[str]:
        """Strings that identify A's data: its marker (in names and references) and every id it made."""
        found = {self.marker, str(self.a.id)}
        for thing in self.made:
            found |= {str(v) for k, v in thing.items() if k in ("id", "client_id", "token", "email") and v}
        return sorted(found)

    # --- tenant A's objects ------------------------------------------------------------
    def resource(self) -> dict:
        return {"resource_id": self._made(create_resource(
            self.client, self.as_a(), name=f"{self.marker} room", reference=f"{self.marker}-resource", capacity=5,
            open_on_bank_holidays=True, opening_hours={day: [{"start": "00:00", "end": "24:00"}] for day in WEEKDAYS}))["id"]}

    def exception(self) -> dict:
        values = self.resource()
        made = self.create(f"/v1/booking/resources/{values['resource_id']}/exceptions",
                           {"date": (dt.date.today() + dt.timedelta(days=60)).isoformat(), "kind": "closed",
                            "reason": f"{self.marker} closed"})
        return {**values, "exception_id": made["id"]}

    def hold(self) -> dict:
        values = self.resource()
        return {"hold_id": self.create("/v1/booking/holds", {
            "resource_id": values["resource_id"], "start": _slot(3), "reference": f"{self.marker}-hold"})["id"]}

    def booking(self) -> dict:
        values = self.resource()
        return {"booking_id": self._made(create_booking(
            self.client, self.as_a(), values["resource_id"], _slot(3), reference=f"{self.marker}-booking",
            attendee={"name": f"{self.marker} Citizen", "email": f"{self.marker}@example.org"}))["id"]}

    def category(self) -> dict:
        code = f"{self.marker}-{uuid.uuid4().hex[:6]}"
        self._made(create_category(self.client, self.as_a(), code=code, name=f"{self.marker} pothole", public=False))
        return {"code": code}

    def report(self) -> dict:
        code = self.category()["code"]
        return {"report_id": self._made(create_report(
            self.client, self.as_a(), category=code, description=f"{self.marker} hole", lat=51.5, long=-0.12,
            reference=f"{self.marker}-report", reporter={"name": f"{self.marker} Reporter"}))["id"]}

    def c_category(self) -> str:
        if self._c_category is None:
            self._c_category = create_category(self.client, self.headers(self.c, TENANT_SCOPES), code="c-roads",
                                               name="Roads")["code"]
        return self._c_category

    def transfer_body(self) -> dict:
        return {"tenant": self.c.slug, "category": self.c_category(), "note": "Yours"}

    def transfer(self) -> dict:
        report_id = self.report()["report_id"]
        return {"transfer_id": self.create(f"/v1/reporting/reports/{report_id}/transfer", self.transfer_body())["id"]}

    def api_client(self) -> dict:
        return {"client_ref": self.create("/v1/admin/clients", {
            "name": f"{self.marker} app", "scopes": ["booking:read"], "reference": f"{self.marker}-client"})["id"]}

    def user(self) -> dict:
        return {"user_id": self.create("/v1/admin/users", {
            "email": f"{self.marker}.{uuid.uuid4().hex[:6]}@example.org", "name": f"{self.marker} Staff",
            "role": "caseworker", "password": PASSWORD})["id"]}

    def tenant(self) -> dict:
        """Steward-only routes act on a tenant: a fresh one, made by the steward."""
        return {"tenant_ref": self.create("/v1/admin/tenants", {"slug": f"t-{uuid.uuid4().hex[:8]}", "name": "Fresh"},
                                          self.steward())["id"]}

    def dead_job(self) -> dict:
        from civic.core import jobs

        def dead():
            job = jobs.enqueue("core.noop", {}, tenant_id=self.a.id)
            job.status = "dead"
            return job.id

        return {"job_id": self.make._run(dead)}


# Each id-bearing route template -> the World method that makes a fresh object as A and names it.
CREATORS = {
    "/v1/admin/clients/<client_ref>": World.api_client,
    "/v1/admin/clients/<client_ref>/revoke": World.api_client,
    "/v1/admin/clients/<client_ref>/rotate": World.api_client,
    "/v1/admin/users/<user_id>": World.user,
    "/v1/admin/users/<user_id>/reset-password": World.user,
    "/v1/admin/tenants/<tenant_ref>": World.tenant,
    "/v1/admin/tenants/<tenant_ref>/suspend": World.tenant,
    "/v1/admin/tenants/<tenant_ref>/reactivate": World.tenant,
    "/v1/admin/jobs/<uuid:job_id>/retry": World.dead_job,
    "/v1/booking/resources/<resource_id>": World.resource,
    "/v1/booking/resources/<resource_id>/availability": World.resource,
    "/v1/booking/resources/<resource_id>/calendar.ics": World.resource,
    "/v1/booking/resources/<resource_id>/exceptions": World.resource,
    "/v1/booking/resources/<resource_id>/exceptions/<exception_id>": World.exception,
    "/v1/booking/holds/<hold_id>": World.hold,
    "/v1/booking/holds/<hold_id>/confirm": World.hold,
    "/v1/booking/holds/<hold_id>/release": World.hold,
    "/v1/booking/bookings/<booking_id>": World.booking,
    "/v1/booking/bookings/<booking_id>.ics": World.booking,
    "/v1/booking/bookings/<booking_id>/cancel": World.booking,
    "/v1/booking/bookings/<booking_id>/reschedule": World.booking,
    "/v1/reporting/categories/<code>": World.category,
    "/v1/reporting/reports/<report_id>": World.report,
    "/v1/reporting/reports/<report_id>/status": World.report,
    "/v1/reporting/reports/<report_id>/transfer": World.report,
    "/v1/reporting/reports/<report_id>/updates": World.report,
    "/v1/reporting/transfers/<transfer_id>": World.transfer,
}

# A valid body for each writing route (method, template) -> fn(world). None: the route takes no body.
BODIES = {
    ("POST", "/v1/admin/clients"): lambda w: {"name": "Another app", "scopes": ["booking:read"]},
    ("PATCH", "/v1/admin/clients/<client_ref>"): lambda w: {"name": "Renamed app"},
    ("POST", "/v1/admin/clients/<client_ref>/revoke"): None,
    ("POST", "/v1/admin/clients/<client_ref>/rotate"): lambda w: {"grace_seconds": 0},
    ("POST", "/v1/admin/users"): lambda w: {"email": f"{uuid.uuid4().hex[:8]}@example.org", "role": "viewer",
                                            "password": PASSWORD},
    ("PATCH", "/v1/admin/users/<user_id>"): lambda w: {"name": "Renamed"},
    ("POST", "/v1/admin/users/<user_id>/reset-password"): lambda w: {"password": PASSWORD + "!"},
    ("POST", "/v1/admin/tenants"): lambda w: {"slug": f"t-{uuid.uuid4().hex[:8]}", "name": "New organisation"},
    ("PATCH", "/v1/admin/tenants/<tenant_ref>"): lambda w: {"name": "Renamed organisation"},
    ("POST", "/v1/admin/tenants/<tenant_ref>/suspend"): None,
    ("POST", "/v1/admin/tenants/<tenant_ref>/reactivate"): None,
    ("POST", "/v1/admin/jobs/<uuid:job_id>/retry"): None,
    ("POST", "/v1/booking/resources"): lambda w: {"name": "Hall", "opening_hours": {"monday": [
        {"start": "09:00", "end": "17:00"}]}},
    ("PATCH", "/v1/booking/resources/<resource_id>"): lambda w: {"name": "Renamed hall"},
    ("POST", "/v1/booking/resources/<resource_id>/exceptions"): lambda w: {
        "date": (dt.date.today() + dt.timedelta(days=90)).isoformat(), "kind": "closed"},
    ("POST", "/v1/booking/holds"): lambda w: {"resource_id": w.resource()["resource_id"], "start": _slot(5)},
    ("POST", "/v1/booking/holds/<hold_id>/confirm"): lambda w: {"attendee": {"name": "Pat Person"}},
    ("POST", "/v1/booking/holds/<hold_id>/release"): None,
    ("POST", "/v1/booking/bookings"): lambda w: {"resource_id": w.resource()["resource_id"], "start": _slot(6),
                                                 "attendee": {"name": "Pat Person"}},
    ("POST", "/v1/booking/bookings/<booking_id>/cancel"): lambda w: {"reason": "Changed plans"},
    ("POST", "/v1/booking/bookings/<booking_id>/reschedule"): lambda w: {"start": _slot(4)},
    ("POST", "/v1/reporting/categories"): lambda w: {"code": f"c{uuid.uuid4().hex[:8]}", "name": "Graffiti"},
    ("PATCH", "/v1/reporting/categories/<code>"): lambda w: {"name": "Renamed category"},
    ("POST", "/v1/reporting/reports"): lambda w: {"category": w.category()["code"], "description": "Broken light",
                                                  "lat": 51.5, "long": -0.12},
    ("POST", "/v1/reporting/reports/<report_id>/status"): lambda w: {"status": "acknowledged", "note": "On it"},
    ("POST", "/v1/reporting/reports/<report_id>/transfer"): lambda w: w.transfer_body(),
}


# Required query parameters of GET routes, so that a refusal is never just a 422 for a missing parameter.
QUERIES = {
    "/v1/booking/resources/<resource_id>/availability": lambda: {"from": _slot(1, 0), "to": _slot(8, 0)},
    "/v1/booking/day": lambda: {"date": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
}


def url_for(op: Operation, values: dict) -> str:
    """The route's URL for these values, with its required query parameters."""
    query = QUERIES.get(op.path) if op.method == "GET" else None
    return op.url(values) + ("?" + urllib.parse.urlencode(query()) if query else "")


def values_for(world: World, op: Operation) -> dict:
    """Fresh URL values naming an object of A for `op` (a KeyError names a route without a creator)."""
    return CREATORS[op.path](world) if op.has_id else {}


def body_for(world: World, op: Operation):
    """A valid body for `op`, or None for a route that takes none (a KeyError names a route without one)."""
    if op.method not in ("POST", "PUT", "PATCH"):
        return None
    make = BODIES[(op.method, op.path)]
    return make(world) if make else None
