"""Steward and tenant-admin API under /v1/admin: HTTP only, one service call per method."""
import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from civic.core import audit, jobs
from civic.core.auth import current_principal, require, require_any
from civic.core.pagination import page_schema, paginate
from civic.core.tenancy import Tenant
from civic.gateway import problems, schemas, service
from civic.gateway.models import Client

admin = Blueprint("admin", __name__, url_prefix="/v1/admin",
                  description="For platform stewards (scope `platform:admin`) and organisation admins (scope `clients:manage`).")
MANAGE = ("platform:admin", "clients:manage")


def _tenant_scope(slug: str | None) -> uuid.UUID | None:
    return service.tenant_scope(principal=current_principal(), slug=slug)


def _staff_scope(slug: str | None) -> uuid.UUID | None:
    return service.staff_scope(principal=current_principal(), slug=slug)


def _new_for(scope, data: dict, detail: str) -> uuid.UUID:
    """The organisation a new client or user is for: the caller's own, or the `tenant` a steward names."""
    tenant_id = scope(data.pop("tenant", None))
    if tenant_id is None:
        raise problems.TENANT_REQUIRED(detail, errors={"tenant": ["Required for stewards."]})
    return tenant_id


def _client(client_ref, lock: bool = True):
    """The client named in the URL, locked for the change this request makes."""
    return service.client_for(principal=current_principal(), client_ref=client_ref, lock=lock)


def _grant(changes: dict, **subject) -> None:
    service.check_grant(principal=current_principal(), changes=changes, **subject)


# --- tenants ---------------------------------------------------------------
@admin.route("/tenants")
class Tenants(MethodView):
    @require("platform:admin")
    @admin.arguments(schemas.TenantQuerySchema, location="query")
    @admin.response(200, page_schema(schemas.TenantSchema))
    def get(self, query):
        """List organisations on the platform.

        Stewards only; filter by `status`. Errors: `invalid_cursor`."""
        return paginate(service.list_tenants(status=query.get("status")), Tenant, limit=query["limit"], after=query["after"])

    @require("platform:admin")
    @admin.arguments(schemas.TenantSchema)
    @admin.response(201, schemas.TenantSchema)
    def post(self, data):
        """Onboard an organisation.

        Stewards only. Next, create its first client (POST /v1/admin/clients with `tenant`) and hand the
        secret over by a channel you trust. Recorded in the audit log. Errors: `slug_taken`."""
        return service.create_tenant(**data)


@admin.route("/tenants/<tenant_ref>")
class TenantById(MethodView):
    @require("platform:admin")
    @admin.response(200, schemas.TenantSchema)
    def get(self, tenant_ref):
        """One organisation, by id or slug.

        Stewards only."""
        return service.get_tenant(tenant_ref=tenant_ref)

    @require("platform:admin")
    @admin.arguments(schemas.TenantUpdateSchema)
    @admin.response(200, schemas.TenantSchema)
    def patch(self, data, tenant_ref):
        """Rename an organisation, change its kind, enabled components or rate limit.

        Stewards only. Turning a component off refuses its routes to the organisation's tokens at once
        (`component_disabled`). Recorded in the audit log."""
        return service.update_tenant(tenant_ref=tenant_ref, **data)


@admin.route("/tenants/<tenant_ref>/suspend")
class TenantSuspend(MethodView):
    @require("platform:admin")
    @admin.response(200, schemas.TenantSchema)
    def post(self, tenant_ref):
        """Suspend an organisation: all its tokens stop working at once.

        Stewards only. Its clients can get no new tokens until it is reactivated; its records are kept.
        Recorded in the audit log."""
        return service.update_tenant(tenant_ref=tenant_ref, status="suspended")


@admin.route("/tenants/<tenant_ref>/reactivate")
class TenantReactivate(MethodView):
    @require("platform:admin")
    @admin.response(200, schemas.TenantSchema)
    def post(self, tenant_ref):
        """Let a suspended organisation back in.

        Stewards only. Its clients can get tokens again. Recorded in the audit log."""
        return service.update_tenant(tenant_ref=tenant_ref, status="active")


# --- clients ---------------------------------------------------------------
@admin.route("/clients")
class Clients(MethodView):
    @require_any(*MANAGE)
    @admin.arguments(schemas.ClientQuerySchema, location="query")
    @admin.response(200, page_schema(schemas.ClientSchema))
    def get(self, query):
        """List API clients (a tenant admin sees only their organisation's).

        Stewards (`platform:admin`) and organisation admins (`clients:manage`); a sandbox client sees only
        sandbox clients. Errors: `invalid_cursor`."""
        return paginate(service.clients_for(principal=current_principal(), slug=query.get("tenant")), Client,
                        limit=query["limit"], after=query["after"])

    @require_any(*MANAGE)
    @admin.arguments(schemas.ClientSchema)
    @admin.response(201, schemas.ClientCreatedSchema)
    def post(self, data):
        """Create an API client. The secret (and API key) are in this response only: store them now.

        Stewards (for any organisation, naming it in `tenant`) and organisation admins (for their own).
        Nobody gives a scope, rate limit or introspection they do not hold. Only a hash of the secret is
        kept. Recorded in the audit log. Errors: `tenant_required`, `unknown_scope`, `scope_not_held`,
        `introspection_not_held`, `rate_limit_not_held`, `sandbox_only`, `sandbox_not_steward`."""
        tenant_id = _new_for(_tenant_scope, data, "Say which organisation the client is for.")
        _grant(data)
        client, shown = service.create_client(tenant_id=tenant_id, **data)
        client.client_secret, client.api_key = shown.get("client_secret"), shown.get("api_key")  # this answer only
        return client


@admin.route("/clients/<client_ref>")
class ClientById(MethodView):
    @require_any(*MANAGE)
    @admin.response(200, schemas.ClientSchema)
    def get(self, client_ref):
        """One API client, by client_id or id.

        Stewards, and organisation admins for their own clients."""
        return _client(client_ref, lock=False)

    @require_any(*MANAGE)
    @admin.arguments(schemas.ClientUpdateSchema)
    @admin.response(200, schemas.ClientSchema)
    def patch(self, data, client_ref):
        """Change a client's name, scopes, redirect URIs or rate limit.

        Stewards, and organisation admins for their own clients, within what they hold themselves. Recorded
        in the audit log. Errors: `unknown_scope`, `scope_not_held`, `introspection_not_held`,
        `rate_limit_not_held`, `client_revoked`."""
        client = _client(client_ref)
        _grant(data, client=client)
        return service.update_client(client=client, **data)


@admin.route("/clients/<client_ref>/rotate")
class ClientRotate(MethodView):
    @require_any(*MANAGE)
    @admin.arguments(schemas.RotateSchema)
    @admin.response(200, schemas.RotatedSchema)
    def post(self, data, client_ref):
        """Issue a new secret; the old one keeps working for `grace_seconds` (default 24 hours).

        The new secret (or API key, with `api_key`) is in this answer only. Deploy it, then the old one
        stops by itself. Recorded in the audit log. Errors: `public_client`, `client_revoked`,
        `scope_not_held`."""
        client = _client(client_ref)
        _grant({}, client=client)  # the new secret gives the caller whatever the client holds
        if data["api_key"]:
            return {"client_id": client.client_id, "api_key": service.rotate_api_key(client=client)}
        secret = service.rotate_client_secret(client=client, grace_seconds=data["grace_seconds"])
        return {"client_id": client.client_id, "client_secret": secret,
                "previous_secret_expires_at": client.previous_secret_expires_at}


@admin.route("/clients/<client_ref>/revoke")
class ClientRevoke(MethodView):
    @require_any(*MANAGE)
    @admin.response(200, schemas.ClientSchema)
    def post(self, client_ref):
        """Revoke a client now: its secret, API key and every token it holds stop working.

        Cannot be undone: create a new client instead. Recorded in the audit log. Errors: `client_revoked`."""
        return service.revoke_client(client=_client(client_ref))  # taking away needs no grant


# --- staff users -----------------------------------------------------------
@admin.route("/users")
class Users(MethodView):
    @require_any(*MANAGE)
    @admin.arguments(schemas.UserQuerySchema, location="query")
    @admin.response(200, page_schema(schemas.UserSchema))
    def get(self, query):
        """List staff users (a tenant admin sees only their organisation's).

        Stewards, and organisation admins for their own staff; never a sandbox client. Errors:
        `sandbox_no_staff`, `invalid_cursor`."""
        return service.list_users(tenant_id=_staff_scope(query.get("tenant")), limit=query["limit"],
                                  after=query["after"])

    @require_any(*MANAGE)
    @admin.arguments(schemas.UserSchema)
    @admin.response(201, schemas.UserSchema)
    def post(self, data):
        """Add a staff user who can sign in to staff-facing apps.

        Roles: `tenant_admin`, `caseworker`, `viewer`; nobody gives a role above their own. The password is
        stored as an Argon2 hash only. Recorded in the audit log. Errors: `tenant_required`, `email_taken`,
        `weak_password`, `role_not_held`, `sandbox_no_staff`."""
        tenant_id = _new_for(_staff_scope, data, "Say which organisation the user belongs to.")
        data.pop("reference", None), data.pop("metadata_", None)
        _grant(data)
        return service.create_user(tenant_id=tenant_id, **data)


@admin.route("/users/<user_id>")
class UserById(MethodView):
    @require_any(*MANAGE)
    @admin.response(200, schemas.UserSchema)
    def get(self, user_id):
        """One staff user.

        Stewards, and organisation admins for their own staff. Errors: `sandbox_no_staff`."""
        return service.audit_staff_read(user=service.get_user(tenant_id=_staff_scope(None), user_id=user_id))

    @require_any(*MANAGE)
    @admin.arguments(schemas.UserUpdateSchema)
    @admin.response(200, schemas.UserSchema)
    def patch(self, data, user_id):
        """Change a staff user's role or name, or disable them (their sessions end at once).

        A role or status change ends their sign-in sessions at once; a disabled person's refresh
        tokens stop working, and a token refreshed after a change carries only what the new role allows.
        Recorded in the audit log. Errors: `role_not_held`, `sandbox_no_staff`."""
        user = service.get_user(tenant_id=_staff_scope(None), user_id=user_id)
        _grant(data, user=user)
        return service.update_user(user=user, **data)


@admin.route("/users/<user_id>/reset-password")
class UserReset(MethodView):
    @require_any(*MANAGE)
    @admin.arguments(schemas.PasswordResetSchema)
    @admin.response(200, schemas.PasswordResetResultSchema)
    def post(self, data, user_id):
        """Set a new password for a staff user (or get a generated one, shown once).

        Their sign-in sessions end at once. Recorded in the audit log. Errors: `weak_password`,
        `role_not_held`, `sandbox_no_staff`."""
        user = service.get_user(tenant_id=_staff_scope(None), user_id=user_id)
        _grant({}, user=user)
        password = service.reset_password(user=user, password=data["password"])
        return {"password": password if data["password"] is None else None}


# --- jobs and audit --------------------------------------------------------
@admin.route("/jobs")
class Jobs(MethodView):
    @require("platform:admin")
    @admin.arguments(schemas.JobQuerySchema, location="query")
    @admin.response(200, page_schema(schemas.JobSchema))
    def get(self, query):
        """Background jobs by status; `dead` (the default) lists jobs that failed for good.

        Stewards only. A dead job's `last_error` names the exception, never personal data. Errors:
        `invalid_cursor`."""
        return paginate(jobs.list_jobs(status=query["status"]), jobs.Job, limit=query["limit"], after=query["after"])


@admin.route("/jobs/<uuid:job_id>/retry")
class JobRetry(MethodView):
    @require("platform:admin")
    @admin.response(200, schemas.JobSchema)
    def post(self, job_id):
        """Put a dead-lettered job back in the queue.

        Stewards only. The job runs again at once, with its attempts reset. Recorded in the audit log.
        Errors: `job_not_dead`."""
        job = jobs.retry_job(job_id=job_id)
        audit.record("job.retried", tenant_id=job.tenant_id, subject_type="job", subject_id=job.id)
        return job


@admin.route("/audit")
class Audit(MethodView):
    @require("platform:admin")
    @admin.arguments(schemas.AuditQuerySchema, location="query")
    @admin.response(200, page_schema(schemas.AuditSchema))
    def get(self, query):
        """Audit entries, newest first: who did or saw what, and when.

        Stewards (all, or one organisation with `tenant`) and organisation admins (their own). Entries hold
        ids and field names, never personal values. Errors: `invalid_cursor`."""
        return service.audit_page(tenant_ref=query.get("tenant"), limit=query["limit"], after=query["after"])


me = Blueprint("me", __name__, url_prefix="/v1", description="Check the token you are holding: which "
               "organisation, app and scopes it gives you, and whether it is a sandbox (test) token.")


@me.route("/whoami")
class WhoAmI(MethodView):
    @require()
    @me.response(200, schemas.WhoAmISchema)
    def get(self):
        """Which organisation, client and scopes your token gives you (handy when setting up).

        Any valid token. `sandbox` is true for a test client, whose records are kept apart from live ones."""
        return service.whoami(principal=current_principal())


def init_app(app, api) -> None:
    from civic.core.openapi import document
    from civic.gateway import limits, oauth_docs, views

    api.register_blueprint(admin)
    api.register_blueprint(me)
    app.register_blueprint(views.bp)
    document(api, oauth_docs.PATHS, oauth_docs.TAG)
    limits.init_app(app)
