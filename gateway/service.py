"""Gateway operations: tenants, clients, staff users, tokens. They flush, never commit."""
import datetime as dt
import secrets
import uuid

import limits
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from civic.config import ALL_COMPONENTS
from civic.core import audit, caching
from civic.core.auth import Principal, unauthenticated
from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.pagination import decode_cursor, encode_cursor, paginate
from civic.core.tenancy import Tenant, current_world_is_sandbox, get_scoped, place_wide, scoped, tenant_by_slug
from civic.gateway import problems
from civic.gateway.models import Client, StaffUser, Token, digest

KNOWN_SCOPES = (*(f"{c}:{a}" for c in ALL_COMPONENTS for a in ("read", "write")), "clients:manage", "platform:admin")
ROLE_ORDER = ("viewer", "caseworker", "tenant_admin")  # each may do what those before it may
ROLE_SCOPES = {  # what a signed-in person may hold, whatever the client may
    "viewer": lambda s: s.endswith(":read"),
    "caseworker": lambda s: s.split(":")[1] in ("read", "write") and s != "platform:admin",
    "tenant_admin": lambda s: s != "platform:admin",
}
# Values of these fields go into the audit; of any other field only its name (it may be personal).
AUDITED_VALUES = ("scopes", "role", "status", "rate_limit", "can_introspect", "sandbox", "components", "kind")
_STANDARD_HASHER = PasswordHasher()  # argon2id, 64 MiB, 3 passes: argon2-cffi's defaults (RFC 9106's second choice)
# For CIVIC_ENV=test only, where two thousand tests sign people in: still argon2id, at the lowest cost.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _TEST_HASHER if current_app.config["ENV"] == "test" else _STANDARD_HASHER


def role_allows(role: str | None, scope: str) -> bool:
    """Whether a person of `role` may hold `scope` (an unknown role is treated as a viewer)."""
    return ROLE_SCOPES.get(role, ROLE_SCOPES["viewer"])(scope)


def _audit_detail(changes: dict) -> dict:
    """Which fields changed, with values only for the non-personal ones (grants, roles, states)."""
    return {"fields": sorted(changes), **{k: changes[k] for k in AUDITED_VALUES if k in changes}}


def _problem_if_taken(slug: str) -> None:
    if tenant_by_slug(slug) is not None:
        raise problems.SLUG_TAKEN(f"A tenant with slug {slug!r} already exists.")


# --- tenants ---------------------------------------------------------------
def create_tenant(*, slug: str, name: str, kind: str = "other", components: list | None = None,
                  rate_limit: str | None = None, reference=None, metadata_=None) -> Tenant:
    """Onboard an organisation."""
    _problem_if_taken(slug)
    tenant = Tenant(slug=slug, name=name, kind=kind, components=components, rate_limit=rate_limit,
                    reference=reference, metadata_=metadata_ or {})
    session.add(tenant)
    session.flush()
    audit.record("tenant.created", tenant_id=tenant.id, subject_type="tenant", subject_id=tenant.id,
                 detail={"slug": slug, "kind": kind})
    return tenant


def get_tenant(*, tenant_ref) -> Tenant:
    """A tenant by id or slug."""
    tenant = None
    try:
        tenant = session.get(Tenant, uuid.UUID(str(tenant_ref)))
    except ValueError:
        tenant = tenant_by_slug(str(tenant_ref))
    if tenant is None:
        raise not_found("tenant")
    return tenant


def update_tenant(*, tenant_ref, **changes) -> Tenant:
    """Rename, change kind, components or rate limit, suspend or reactivate."""
    tenant = get_tenant(tenant_ref=tenant_ref)
    # Locked and read afresh: two suspensions at once are one suspension (and one audit entry), not two.
    session.refresh(tenant, with_for_update=True)
    before = tenant.status
    for key, value in changes.items():
        setattr(tenant, key, value)
    session.flush()
    action = "tenant.updated"
    if "status" in changes and changes["status"] != before:
        action = "tenant.suspended" if changes["status"] == "suspended" else "tenant.reactivated"
    audit.record(action, tenant_id=tenant.id, subject_type="tenant", subject_id=tenant.id,
                 detail=_audit_detail(changes))
    return tenant


def list_tenants(*, status: str | None = None) -> sa.Select:
    query = sa.select(Tenant)
    return query.where(Tenant.status == status) if status else query


def tenant_scope(*, principal: Principal, slug: str | None) -> uuid.UUID | None:
    """Stewards may act on any tenant (or, with no slug, all); tenant admins only ever on their own."""
    if principal.is_steward:
        return get_tenant(tenant_ref=slug).id if slug else None
    if slug and slug != principal.tenant_slug:
        raise not_found("tenant")
    return principal.tenant_id


def audit_page(*, tenant_ref: str | None, limit: int = 20, after: str | None = None) -> dict:
    """Audit entries of one tenant or of all, a page at a time, newest first."""
    entry = audit.AuditEntry
    tenant_id = get_tenant(tenant_ref=tenant_ref).id if tenant_ref else None
    query = audit.entries(tenant_id=tenant_id).order_by(entry.time.desc(), entry.id.desc())
    if after:
        time, entry_id = decode_cursor(after)
        query = query.where(sa.tuple_(entry.time, entry.id) < sa.tuple_(
            sa.literal(time, entry.time.type), sa.literal(entry_id, entry.id.type)))
    rows = list(session.scalars(query.limit(limit + 1)))
    items, more = rows[:limit], len(rows) > limit
    return {"items": items, "next": encode_cursor(items[-1].time, items[-1].id) if more else None}


# --- grants: the one rule every admin change passes -------------------------------
def _per_second(rate: str) -> float:
    """A rate limit as requests per second (the strictest of several), to compare limits of any unit."""
    return min(item.amount / item.get_expiry() for item in limits.parse_many(rate))


def _window(rate: str) -> int:
    """The longest window of a rate limit, in seconds: a longer window allows a longer burst."""
    return max(item.get_expiry() for item in limits.parse_many(rate))


def _within(rate: str, ceiling: str) -> bool:
    """Whether `rate` gives no more than `ceiling`: no higher average, and no longer window to burst in
    ("864000 per day" averages 600 a minute but allows all of it in one minute)."""
    return _per_second(rate) <= _per_second(ceiling) and _window(rate) <= _window(ceiling)


def _rank(role: str) -> int:
    """A role's place in ROLE_ORDER; a role we do not know ranks above all, so nobody may touch it."""
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def _caller_level(principal: Principal) -> int:
    """The caller's place in ROLE_ORDER: a person's role, or tenant_admin for a client managing clients."""
    if principal.user_id is not None:
        user = session.get(StaffUser, principal.user_id)
        return ROLE_ORDER.index(user.role) if user and user.role in ROLE_ORDER else -1
    return _rank("tenant_admin") if "clients:manage" in principal.scopes else -1


def check_grant(*, principal: Principal, changes: dict, client: Client | None = None,
                user: StaffUser | None = None) -> None:
    """Refuse (403) any change that would give more than the caller holds.

    `changes` is what the caller asks to set; `client` or `user` the one it acts on. Non-stewards give
    only scopes they hold (so never platform:admin), act only on clients whose scopes they hold, set
    rate limits only up to their tenant's, never let a client introspect, and give or change roles only
    up to their own. A sandbox caller makes only sandbox clients. The steward may give anything.
    """
    if changes.get("scopes"):
        _check_scopes(changes["scopes"])  # an unknown scope is a mistake (422) before it is a refusal
    if principal.sandbox and changes.get("sandbox") is False:
        raise problems.SANDBOX_ONLY("A sandbox client can only create sandbox clients.")
    in_sandbox = changes["sandbox"] if changes.get("sandbox") is not None else (
        client.sandbox if client is not None else principal.sandbox)
    if in_sandbox and "platform:admin" in (changes.get("scopes") or ()):
        raise problems.SANDBOX_NOT_STEWARD("A sandbox client cannot be the platform steward.",
                                           errors={"scopes": ["platform:admin is for live clients only."]})
    if principal.is_steward:
        return
    asked = set(changes.get("scopes") or ()) | (client.scope_set if client is not None else set())
    missing = sorted(asked - principal.scopes)
    if missing:
        raise problems.SCOPE_NOT_HELD(f"You cannot give or use scopes you do not hold: {' '.join(missing)}.")
    # Acting on a client (a PATCH, or a rotation that hands over its secret) gives the caller what the
    # client already holds, so what it holds is checked like what is asked for.
    keeps_introspecting = client is not None and client.can_introspect and changes.get("can_introspect") is not False
    if changes.get("can_introspect") or keeps_introspecting:
        raise problems.INTROSPECTION_NOT_HELD("Only the platform steward lets a client introspect tokens.")
    rate = changes["rate_limit"] if "rate_limit" in changes else (client.rate_limit if client is not None else None)
    rates = [rate] if rate else []
    if rates:
        tenant = session.get(Tenant, principal.tenant_id)
        ceiling = tenant.rate_limit or current_app.config["RATELIMIT_DEFAULT"]
        if not all(_within(rate, ceiling) for rate in rates):
            raise problems.RATE_LIMIT_NOT_HELD(f"Your organisation's rate limit is {ceiling}; ask the "
                                                   "platform steward for more.")
    level = _caller_level(principal)
    for role in (changes.get("role"), user.role if user is not None else None):
        if role is not None and _rank(role) > level:
            raise problems.ROLE_NOT_HELD(f"You cannot give or change the role {role}: it is above your own.")


def staff_scope(*, principal: Principal, slug: str | None) -> uuid.UUID | None:
    """Where the caller may manage staff users: as tenant_scope, but never from the sandbox."""
    if principal.sandbox:
        raise problems.SANDBOX_NO_STAFF("A sandbox client cannot see or manage staff users.")
    return tenant_scope(principal=principal, slug=slug)


# --- clients ---------------------------------------------------------------
def _check_scopes(scopes: list[str]) -> None:
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise problems.UNKNOWN_SCOPE(f"Unknown scope(s): {' '.join(unknown)}.",
                                     errors={"scopes": [f"Choose from: {' '.join(KNOWN_SCOPES)}"]})


def create_client(*, tenant_id: uuid.UUID, name: str, scopes: list[str], confidential: bool = True,
                  redirect_uris: list[str] | None = None, sandbox: bool | None = None, with_api_key: bool = False,
                  can_introspect: bool = False, rate_limit: str | None = None, reference=None,
                  metadata_=None, client_id: str | None = None, secret: str | None = None) -> tuple[Client, dict]:
    """Create a client (in the caller's world unless `sandbox` says); returns it and its one-time secrets."""
    _check_scopes(scopes)
    sandbox = current_world_is_sandbox() if sandbox is None else sandbox
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise not_found("tenant")
    shown: dict = {}
    client = Client(tenant_id=tenant_id, client_id=client_id or "cl_" + secrets.token_urlsafe(16), name=name,
                    scopes=list(dict.fromkeys(scopes)), confidential=confidential,
                    redirect_uris=list(redirect_uris or []), sandbox=sandbox, can_introspect=can_introspect,
                    rate_limit=rate_limit, reference=reference, metadata_=metadata_ or {})
    if confidential:
        shown["client_secret"] = secret or "cs_" + secrets.token_urlsafe(32)
        client.secret_hash = digest(shown["client_secret"])
    if with_api_key:
        shown["api_key"] = "ak_" + secrets.token_urlsafe(32)
        client.api_key_hash = digest(shown["api_key"])
    session.add(client)
    session.flush()
    audit.record("client.created", tenant_id=tenant_id, subject_type="client", subject_id=client.client_id,
                 detail={"scopes": client.scopes, "sandbox": sandbox})
    return client, shown


def get_client(*, client_ref, tenant_id: uuid.UUID | None = None, sandbox_only: bool = False,
               lock: bool = False) -> Client:
    """A client by its client_id or UUID; limited to one tenant unless tenant_id is None (steward).

    With `lock`, the row stays locked until the transaction ends and is read afresh, so changes
    to one client (rotate, revoke, update) happen one after another, each seeing the last.
    """
    query = list_clients(tenant_id=tenant_id, sandbox_only=sandbox_only)
    try:
        query = query.where(Client.id == uuid.UUID(str(client_ref)))
    except ValueError:
        query = query.where(Client.client_id == str(client_ref))
    if lock:
        query = query.with_for_update(of=Client).execution_options(populate_existing=True)
    client = session.scalars(query).first()
    if client is None:
        raise not_found("client")
    return client


def list_clients(*, tenant_id: uuid.UUID | None = None, sandbox_only: bool = False) -> sa.Select:
    query = sa.select(Client) if tenant_id is None else scoped(Client, tenant_id)
    return query.where(Client.sandbox.is_(True)) if sandbox_only else query


def client_for(*, principal: Principal, client_ref, lock: bool = False) -> Client:
    """A client the caller may see: its own tenant's (any for the steward), sandbox ones only from the sandbox."""
    return get_client(client_ref=client_ref, tenant_id=tenant_scope(principal=principal, slug=None),
                      sandbox_only=principal.sandbox, lock=lock)


def clients_for(*, principal: Principal, slug: str | None) -> sa.Select:
    """The clients the caller may list (see client_for)."""
    return list_clients(tenant_id=tenant_scope(principal=principal, slug=slug), sandbox_only=principal.sandbox)


def update_client(*, client: Client, **changes) -> Client:
    """Change a client's name, scopes, redirect URIs or rate limit."""
    if "scopes" in changes:
        _check_scopes(changes["scopes"])
        changes["scopes"] = list(dict.fromkeys(changes["scopes"]))
    for key, value in changes.items():
        setattr(client, key, value)
    session.flush()
    audit.record("client.updated", tenant_id=client.tenant_id, subject_type="client",
                 subject_id=client.client_id, detail=_audit_detail(changes))
    return client


def rotate_client_secret(*, client: Client, grace_seconds: int | None = None) -> str:
    """Issue a new secret; the old one keeps working for the grace period (default 24 h, may be 0)."""
    if not client.confidential:
        raise problems.PUBLIC_CLIENT("Public clients have no secret to rotate.")
    _refuse_if_revoked(client)
    grace = current_app.config["SECRET_GRACE_SECONDS"] if grace_seconds is None else grace_seconds
    secret = "cs_" + secrets.token_urlsafe(32)
    client.previous_secret_hash = client.secret_hash if grace > 0 else None
    client.previous_secret_expires_at = utcnow() + dt.timedelta(seconds=grace) if grace > 0 else None
    client.secret_hash = digest(secret)
    session.flush()
    audit.record("client.secret_rotated", tenant_id=client.tenant_id, subject_type="client",
                 subject_id=client.client_id, detail={"grace_seconds": grace})
    return secret


def _refuse_if_revoked(client: Client) -> None:
    if client.revoked_at:
        raise problems.CLIENT_REVOKED("This client is revoked.")


def rotate_api_key(*, client: Client) -> str:
    """Issue a new API key; the old one stops working at once."""
    _refuse_if_revoked(client)
    key = "ak_" + secrets.token_urlsafe(32)
    client.api_key_hash = digest(key)
    session.flush()
    audit.record("client.api_key_rotated", tenant_id=client.tenant_id, subject_type="client",
                 subject_id=client.client_id)
    return key


def revoke_client(*, client: Client) -> Client:
    """Revoke a client and every token it holds, at once."""
    now = utcnow()
    if client.revoked_at is None:
        client.revoked_at = now
        session.execute(sa.update(Token).where(Token.client_pk == client.id, Token.revoked_at.is_(None))
                        .values(revoked_at=now))
        session.flush()
        audit.record("client.revoked", tenant_id=client.tenant_id, subject_type="client", subject_id=client.client_id)
    return client


@place_wide("gateway.credentials")
def client_by_api_key(api_key: str) -> Client | None:
    """The active client owning an Open311 API key, if its tenant is active."""
    if not api_key:
        return None
    client = session.scalars(sa.select(Client).where(Client.api_key_hash == digest(api_key))).first()
    if client is None or client.revoked_at:
        return None
    tenant = caching.tenant(client.tenant_id)
    return client if tenant is not None and tenant.active else None


# --- staff users -----------------------------------------------------------
def _check_password(password: str) -> None:
    if len(password) < 12:
        raise problems.WEAK_PASSWORD("Passwords need at least 12 characters.",
                                     errors={"password": ["At least 12 characters."]})


def create_user(*, tenant_id: uuid.UUID, email: str, role: str, password: str, name: str | None = None) -> StaffUser:
    """Add a staff user to a tenant (password stored with argon2)."""
    _check_password(password)
    email = email.strip().lower()
    if session.scalars(scoped(StaffUser, tenant_id).where(StaffUser.email == email)).first():
        raise problems.EMAIL_TAKEN("This organisation already has a staff user with that email.")
    user = StaffUser(tenant_id=tenant_id, email=email, role=role, name=name, password_hash=_hasher().hash(password))
    session.add(user)
    session.flush()
    audit.record("user.created", tenant_id=tenant_id, subject_type="staff_user", subject_id=user.id,
                 detail={"role": role})
    return user


def get_user(*, tenant_id: uuid.UUID | None, user_id) -> StaffUser:
    if tenant_id is None:
        try:
            user = session.get(StaffUser, uuid.UUID(str(user_id)))
        except ValueError:
            user = None
        if user is None:
            raise not_found("staff user")
        return user
    return get_scoped(StaffUser, tenant_id, user_id, what="staff user")


def staff_member(tenant_id: uuid.UUID, user_id: uuid.UUID):
    """The core's view of an active staff user of `tenant_id` (civic.core.people), or None."""
    from civic.core import people

    user = session.scalars(scoped(StaffUser, tenant_id).where(StaffUser.id == user_id,
                                                              StaffUser.status == "active")).first()
    return None if user is None else people.StaffUser(id=user.id, tenant_id=user.tenant_id, role=user.role,
                                                       name=user.name)


def update_user(*, user: StaffUser, **changes) -> StaffUser:
    """Change a user's role, name or status; disabling revokes their tokens at once."""
    for key, value in changes.items():
        setattr(user, key, value)
    if changes.get("status") == "disabled":
        session.execute(sa.update(Token).where(Token.user_id == user.id, Token.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))
    session.flush()
    audit.record("user.updated", tenant_id=user.tenant_id, subject_type="staff_user", subject_id=user.id,
                 detail=_audit_detail(changes))
    return user


def reset_password(*, user: StaffUser, password: str | None = None) -> str:
    """Set a new password (or generate one, returned once); the user's tokens are revoked."""
    password = password or secrets.token_urlsafe(12)
    _check_password(password)
    user.password_hash = _hasher().hash(password)
    session.execute(sa.update(Token).where(Token.user_id == user.id, Token.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
    session.flush()
    audit.record("user.password_reset", tenant_id=user.tenant_id, subject_type="staff_user", subject_id=user.id)
    return password


def authenticate_user(*, tenant_id: uuid.UUID, email: str, password: str) -> StaffUser | None:
    """The active user with this email and password, or None."""
    user = session.scalars(scoped(StaffUser, tenant_id).where(StaffUser.email == email.strip().lower())).first()
    if user is None:
        _hasher().hash(password)  # same time either way: do not reveal which emails exist
        return None
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if user.status != "active":
        return None
    user.last_sign_in_at = utcnow()
    return user


def list_users(*, tenant_id: uuid.UUID | None, limit: int, after: str | None) -> dict:
    """A page of staff users; their names and emails are personal data, so the read is audited."""
    query = sa.select(StaffUser) if tenant_id is None else scoped(StaffUser, tenant_id)
    page = paginate(query, StaffUser, limit=limit, after=after)
    for user in page["items"]:
        audit_staff_read(user=user)
    return page


def audit_staff_read(*, user: StaffUser) -> StaffUser:
    """Record that the caller was shown a staff user's name and email (ids only in the audit)."""
    audit.record("staff_user.personal_data_read", tenant_id=user.tenant_id, subject_type="staff_user",
                 subject_id=user.id)
    return user


# --- tokens (minted by the OAuth server's grants, civic.gateway.oauth) ------------------
# This runs on every authenticated request: only the columns it needs, in one round trip, with the
# statement built once. The staff user is joined so that a role change or a disable counts at once.
_PRINCIPAL_QUERY = (
    sa.select(Token.id, Token.tenant_id, Token.scope, Token.user_id, Token.expires_at, Token.revoked_at,
              Client.client_id, Client.revoked_at.label("client_revoked_at"), Client.sandbox, Client.rate_limit,
              Client.scopes.label("client_scopes"),
              Tenant.slug, Tenant.name, Tenant.status, Tenant.components, Tenant.rate_limit.label("tenant_rate_limit"),
              StaffUser.role, StaffUser.status.label("user_status"))
    .join(Client, Client.id == Token.client_pk).join(Tenant, Tenant.id == Token.tenant_id)
    .outerjoin(StaffUser, StaffUser.id == Token.user_id)
    .where(Token.access_token_hash == sa.bindparam("token_hash")))


def token_scopes(*, scope: str, client_scopes, role: str | None, person: bool, sandbox: bool = False) -> frozenset[str]:
    """What a token gives now: its scopes, narrowed to its client's current ones and its person's current role.

    A sandbox client is never the steward: stewardship acts on live tenants, which no sandbox caller may touch.
    """
    scopes = set(scope.split()) & set(client_scopes or ())
    if sandbox:
        scopes.discard("platform:admin")
    return frozenset(s for s in scopes if role_allows(role, s)) if person else frozenset(scopes)


def _token_facts(token_hash: str):
    """The row the checks below read, from this process's cache when still current (caching: dropped in
    every process when a token, client, tenant or staff user changes), else from the database."""
    cache = caching.caches()
    row = cache.get("tokens", token_hash)
    if row is None:
        generation = cache.generation()  # before the read: a change landing during it keeps it out of the cache
        with place_wide("gateway.credentials"):
            row = session.execute(_PRINCIPAL_QUERY, {"token_hash": token_hash}).first()
        if row is not None:  # an unknown token is not cached: it costs its caller a query, nobody else
            cache.put("tokens", token_hash, row, generation)
    return row


def principal_for(access_token: str):
    """Validate a bearer token: a Principal, or a 401 Problem saying why not.

    Every check runs on every request, cached facts or not: an expired token is never accepted."""
    row = _token_facts(digest(access_token))
    if row is None:
        return unauthenticated("The access token is not valid.")
    if row.revoked_at or row.client_revoked_at:
        return unauthenticated("The access token has been revoked.")
    if row.expires_at <= utcnow():
        return unauthenticated("The access token has expired.")
    if row.status != "active":
        return unauthenticated("Your organisation's access is suspended. Contact the platform steward.")
    if row.user_id is not None and row.user_status != "active":
        return unauthenticated("Your staff account is disabled. Ask your organisation's admin.")
    scopes = token_scopes(scope=row.scope, client_scopes=row.client_scopes, role=row.role,
                          person=row.user_id is not None, sandbox=row.sandbox)
    return Principal(tenant_id=row.tenant_id, client_id=row.client_id, scopes=scopes,
                     user_id=row.user_id, sandbox=row.sandbox,
                     components=tuple(row.components) if row.components is not None else None,
                     rate_limit=row.rate_limit, tenant_rate_limit=row.tenant_rate_limit,
                     tenant_slug=row.slug, tenant_name=row.name)


def whoami(*, principal: Principal) -> dict:
    """What a token gives its holder."""
    return {"tenant": principal.tenant_slug, "tenant_name": principal.tenant_name, "client_id": principal.client_id,
            "scopes": sorted(principal.scopes), "user_id": principal.user_id, "sandbox": principal.sandbox}


def revoke_token_family(*, family_id: uuid.UUID) -> None:
    session.execute(sa.update(Token).where(Token.family_id == family_id, Token.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
