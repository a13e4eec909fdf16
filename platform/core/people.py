"""Staff users as components see them, without importing the gateway (which owns them).

The gateway registers its look-up at start-up (`register_staff_lookup(app, fn)`); a component asks
`staff_user(tenant_id, user_id)` for a person of one organisation (None when there is no such active
person there: another organisation's user is None too) and `role_at_least(principal, role)` for what
the caller may do. Roles are ordered viewer < caseworker < tenant_admin. An app acting with no person
signed in has no role: it counts as a caseworker (its scopes already limit it), and as a tenant admin
only when it holds `clients:manage`, the organisation's administrative scope.
"""
import dataclasses
import uuid

from flask import current_app

ROLES = ("viewer", "caseworker", "tenant_admin")  # each may do what those before it may
ADMIN_SCOPE = "clients:manage"


@dataclasses.dataclass(frozen=True)
class StaffUser:
    """What a component may know of a staff user: no email, no password."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    role: str
    name: str | None = None


def register_staff_lookup(app, lookup) -> None:
    """`lookup(tenant_id, user_id) -> StaffUser | None` (active users of that tenant only); the gateway's."""
    app.extensions["civic.staff_lookup"] = lookup


def staff_user(tenant_id: uuid.UUID, user_id) -> StaffUser | None:
    """The active staff user `user_id` of `tenant_id`, or None (unknown, disabled, or another tenant's)."""
    try:
        user_id = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except (ValueError, TypeError, AttributeError):
        return None
    lookup = current_app.extensions.get("civic.staff_lookup")
    return lookup(tenant_id, user_id) if lookup else None


def role_of(principal) -> str:
    """The caller's role now: the signed-in person's (looked up afresh), else the app's (see above)."""
    if principal.user_id is None:
        return "tenant_admin" if ADMIN_SCOPE in principal.scopes else "caseworker"
    user = staff_user(principal.tenant_id, principal.user_id)
    return user.role if user is not None and user.role in ROLES else "viewer"


def role_at_least(principal, role: str) -> bool:
    """Whether the caller holds `role` or one above it."""
    return ROLES.index(role_of(principal)) >= ROLES.index(role)
