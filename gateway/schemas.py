"""Marshmallow schemas of the steward and tenant-admin API."""
import marshmallow as ma

from civic.config import ALL_COMPONENTS
from civic.core.schemas import ResourceSchema, StrictSchema, check_metadata
from civic.core.tenancy import TENANT_KINDS
from civic.gateway.models import ROLES

SLUG = ma.validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", error="Lower-case letters, digits and dashes.")
COMPONENT = ma.fields.String(validate=ma.validate.OneOf(ALL_COMPONENTS))
RATE = ma.validate.Regexp(r"^\d+ per (second|minute|hour|day)$", error="Like '600 per minute'.")

# The examples of the API documentation: a hospice joining the demo place with a volunteer rota app.
WHEN = "2026-11-02T09:30:00+00:00"
TENANT = {"id": "8d0e3c52-4b7a-4f1e-9c6d-2a5b7e9f1c34", "created_at": WHEN, "updated_at": WHEN,
          "reference": "ONB-2026-014", "metadata": {"contact_team": "Volunteering"},
          "slug": "riverside-hospice", "name": "Riverside Hospice", "kind": "voluntary", "status": "active",
          "components": ["booking"], "rate_limit": None}
CLIENT = {"id": "5a9e1f0c-7d2b-4c3e-8b6a-1f4d9e2c7a50", "created_at": WHEN, "updated_at": WHEN,
          "reference": None, "metadata": {}, "client_id": "cl_Vt3kQ9xYp2LmN8aRw4sJ1g", "tenant": "riverside-hospice",
          "name": "Volunteer rota app", "scopes": ["booking:read", "booking:write"], "confidential": True,
          "redirect_uris": [], "sandbox": False, "with_api_key": False, "can_introspect": False, "rate_limit": None,
          "has_api_key": False, "status": "active", "revoked_at": None}
SECRET = "cs_3xQv8yZt1LmP0aKs9dWf7hJr2nBc5eGu6iOy4tRq8wE"
USER = {"id": "c3f8a1d2-6e4b-4f7a-9d0c-5b2e8a1f3c67", "created_at": WHEN, "updated_at": WHEN,
        "reference": None, "metadata": {}, "tenant": "riverside-hospice",
        "email": "sam.okafor@riverside-hospice.example", "name": "Sam Okafor", "role": "caseworker",
        "password": "kettle-harbour-violet-29", "status": "active", "last_sign_in_at": None}


class TenantSchema(ResourceSchema):
    class Meta(ResourceSchema.Meta):
        example = TENANT

    slug = ma.fields.String(required=True, validate=SLUG, metadata={"description": "Short name used in URLs, e.g. `food-bank`."})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    kind = ma.fields.String(load_default="other", validate=ma.validate.OneOf(TENANT_KINDS))
    status = ma.fields.String(dump_only=True, metadata={"description": "`active` or `suspended`."})
    components = ma.fields.List(COMPONENT, allow_none=True, load_default=None,
                                metadata={"description": "Components enabled for this organisation; null means all."})
    rate_limit = ma.fields.String(allow_none=True, validate=RATE)


class TenantUpdateSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"name": "Riverside Hospice and Day Centre", "components": ["booking", "reporting"]}

    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    kind = ma.fields.String(validate=ma.validate.OneOf(TENANT_KINDS))
    components = ma.fields.List(COMPONENT, allow_none=True)
    rate_limit = ma.fields.String(allow_none=True, validate=RATE)


class TenantQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(1, 100))
    after = ma.fields.String(load_default=None)
    status = ma.fields.String(validate=ma.validate.OneOf(("active", "suspended")))


class ClientSchema(ResourceSchema):
    class Meta(ResourceSchema.Meta):
        example = CLIENT

    client_id = ma.fields.String(dump_only=True, metadata={"description": "Public identifier; use it with the secret at /oauth/token."})
    tenant = ma.fields.String(metadata={"description": "The organisation's slug (stewards only; tenant admins create for their own)."})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    scopes = ma.fields.List(ma.fields.String(), required=True, validate=ma.validate.Length(min=1))
    confidential = ma.fields.Boolean(load_default=True, metadata={"description": "False for a public client (a browser or mobile app) that cannot keep a secret."})
    redirect_uris = ma.fields.List(ma.fields.Url(require_tld=False, schemes={"https", "http"}), load_default=list,
                                   metadata={"description": "Exact redirect URIs for sign-in (authorization code flow)."})
    sandbox = ma.fields.Boolean(load_default=None, metadata={
        "description": "Payments and messages of a sandbox client are simulated, never real. Left out: the "
                       "caller's own world (a sandbox client can only make sandbox clients)."})
    with_api_key = ma.fields.Boolean(load_default=False, load_only=True, metadata={"description": "Also issue an API key (for Open311 clients that cannot do OAuth)."})
    can_introspect = ma.fields.Boolean(load_default=False)
    rate_limit = ma.fields.String(allow_none=True, validate=RATE, metadata={"description": "Override of the default rate limit, e.g. `1200 per minute`."})
    has_api_key = ma.fields.Boolean(dump_only=True)
    status = ma.fields.String(dump_only=True, metadata={"description": "`active` or `revoked`."})
    revoked_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)

    @ma.validates("redirect_uris")
    def _https_only(self, value, **_kw):
        for uri in value:
            if uri.startswith("http://") and not uri.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
                raise ma.ValidationError("Redirect URIs must use https (http only on localhost).")


class ClientCreatedSchema(ClientSchema):
    class Meta(ClientSchema.Meta):
        example = {**CLIENT, "client_secret": SECRET, "api_key": None}

    client_secret = ma.fields.String(dump_only=True, allow_none=True,
                                     metadata={"description": "Shown once: store it now. Null for a public client."})
    api_key = ma.fields.String(dump_only=True, allow_none=True,
                               metadata={"description": "Shown once: store it now. Null unless asked for."})


class ClientUpdateSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"name": "Volunteer rota app (staff sign-in)",
                   "redirect_uris": ["https://rota.riverside-hospice.example/signed-in"]}

    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    scopes = ma.fields.List(ma.fields.String(), validate=ma.validate.Length(min=1))
    redirect_uris = ma.fields.List(ma.fields.Url(require_tld=False, schemes={"https", "http"}))
    rate_limit = ma.fields.String(allow_none=True, validate=RATE)
    can_introspect = ma.fields.Boolean()
    reference = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    metadata_ = ma.fields.Dict(data_key="metadata", keys=ma.fields.String(), values=ma.fields.String(),
                               validate=check_metadata)


class ClientQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(1, 100))
    after = ma.fields.String(load_default=None)
    tenant = ma.fields.String(metadata={"description": "Only this organisation's clients (slug)."})


class RotateSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"grace_seconds": 3600}

    grace_seconds = ma.fields.Integer(load_default=None, validate=ma.validate.Range(0, 30 * 24 * 3600),
                                      metadata={"description": "How long the old secret keeps working (default 24 h; 0 stops it at once)."})
    api_key = ma.fields.Boolean(load_default=False, metadata={"description": "Rotate the API key instead of the secret."})


class RotatedSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"client_id": CLIENT["client_id"], "client_secret": "cs_9mWq2Lx7Tb4Ny1Pc8Rk3Vz6Hd0Fs5Ja2Ge7Uo1Ki4",
                   "previous_secret_expires_at": "2026-11-09T10:30:00+00:00"}

    client_id = ma.fields.String()
    client_secret = ma.fields.String()
    api_key = ma.fields.String()
    previous_secret_expires_at = ma.fields.AwareDateTime(allow_none=True)


class UserSchema(ResourceSchema):
    class Meta(ResourceSchema.Meta):
        example = USER

    tenant = ma.fields.String(metadata={"description": "The organisation's slug (stewards only)."})
    email = ma.fields.Email(required=True)
    name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    password = ma.fields.String(load_only=True, required=True, validate=ma.validate.Length(min=12, max=200))
    status = ma.fields.String(dump_only=True)
    last_sign_in_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


class UserUpdateSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"role": "viewer"}

    name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    status = ma.fields.String(validate=ma.validate.OneOf(("active", "disabled")))


class PasswordResetSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"password": "lantern-meadow-copper-41"}

    password = ma.fields.String(load_default=None, validate=ma.validate.Length(min=12, max=200),
                                metadata={"description": "Leave out to have one generated and returned once."})


class PasswordResetResultSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"password": None}

    password = ma.fields.String(allow_none=True, metadata={
        "description": "The generated password, shown once; null when you chose the password yourself."})


class UserQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(1, 100))
    after = ma.fields.String(load_default=None)
    tenant = ma.fields.String()


class JobSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"id": "e2b7c4d1-9a3f-4e6b-8c1d-7f5a2b9e0c48", "name": "booking.send_reminder", "status": "dead",
                   "attempts": 5, "max_attempts": 5, "run_at": "2026-11-03T08:00:00+00:00",
                   "last_error": "TimeoutError", "created_at": "2026-11-03T07:55:00+00:00",
                   "updated_at": "2026-11-03T08:41:00+00:00", "finished_at": "2026-11-03T08:41:00+00:00"}

    id = ma.fields.UUID()
    name = ma.fields.String()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    max_attempts = ma.fields.Integer()
    run_at = ma.fields.AwareDateTime()
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    finished_at = ma.fields.AwareDateTime(allow_none=True)


class JobQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(1, 100))
    after = ma.fields.String(load_default=None)
    status = ma.fields.String(load_default="dead", validate=ma.validate.OneOf(("pending", "running", "done", "dead")))


class AuditSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"id": "f4a1c9e2-3b7d-4a8f-9e0c-6d2b5a8f1c73", "time": "2026-11-02T09:31:12+00:00",
                   "tenant_id": TENANT["id"], "actor": "client:demo-platform-steward", "action": "client.created",
                   "subject_type": "client", "subject_id": CLIENT["client_id"], "detail": {"scopes": CLIENT["scopes"]},
                   "request_id": "3f2b6c1e9a0d4e57b8c2a1f06d9e4b7c"}

    id = ma.fields.UUID()
    time = ma.fields.AwareDateTime()
    tenant_id = ma.fields.UUID(allow_none=True)
    actor = ma.fields.String()
    action = ma.fields.String()
    subject_type = ma.fields.String()
    subject_id = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict()
    request_id = ma.fields.String(allow_none=True)


class AuditQuerySchema(StrictSchema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(1, 100))
    after = ma.fields.String(load_default=None, metadata={"description": "The `next` cursor of the previous page."})
    tenant = ma.fields.String()


class WhoAmISchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"tenant": "food-bank", "tenant_name": "Riverside Food Bank", "client_id": "demo-food-bank",
                   "scopes": ["booking:read", "booking:write"], "user_id": None, "sandbox": True}

    tenant = ma.fields.String(metadata={"description": "Your organisation's slug."})
    tenant_name = ma.fields.String()
    client_id = ma.fields.String()
    scopes = ma.fields.List(ma.fields.String())
    user_id = ma.fields.UUID(allow_none=True, metadata={"description": "The signed-in staff user, if a person signed in."})
    sandbox = ma.fields.Boolean(metadata={"description": "True when payments and messages are simulated."})
