"""Named actions: what one component lets others ask of it, without an import between them.

A component declares each action once (name, input and output marshmallow schemas, the service
function) and registers it from its `init_app`, so an action exists only while its component is on.
Another component (or a flow) looks it up by name and runs it for one tenant: the caller's tenant,
passed explicitly, and nothing else. Input is loaded (unknown fields refused) and output dumped
through the declared schemas, so both sides agree on the shape without sharing code.

An action whose component is switched off for the tenant is absent for that tenant (`get`, `run` and
`catalogue` alike). A flow runs an action on someone's behalf: it passes `principal`, whose scopes must
hold the action's `scope` (default `<component>:write`), and an action declared with `principal=True`
receives it, so the component's own role and scope checks apply to the flow's owner as to a request.
Without a principal (one component asking another, in a job) no scope is checked and such an action
receives `system_principal(tenant_id)`: the tenant itself, holding no scope (an app without a person,
so `people.role_of` counts it a caseworker, never an admin).

    DETAILS = Action("booking.message_details", "Who to write to about a booking.",
                     DetailsInput, DetailsOutput, message_details)
    actions.register(app, DETAILS)                           # in booking's init_app (any number)
    actions.run("booking.message_details", tenant_id=t, data={"id": booking_id})   # anywhere
"""
import dataclasses
import uuid
from collections.abc import Callable

import marshmallow as ma
from flask import current_app


@dataclasses.dataclass(frozen=True)
class Action:
    name: str  # "<component>.<verb_or_thing>"
    description: str
    input: type[ma.Schema]
    output: type[ma.Schema]
    # fn(*, tenant_id, **loaded_input) -> dict (or an object the output schema can dump)
    fn: Callable[..., object]
    scope: str | None = None  # what a caller on someone's behalf must hold; None: "<component>:write"
    principal: bool = False  # fn also takes `principal=` (who the action runs for)

    @property
    def component(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def required_scope(self) -> str:
        return self.scope or f"{self.component}:write"

    def json_schemas(self) -> tuple[dict, dict]:
        """The input's and the output's JSON schemas (as the OpenAPI spec shows schemas)."""
        from apispec.ext.marshmallow import OpenAPIConverter

        converter = OpenAPIConverter(openapi_version="3.0.3", schema_name_resolver=lambda schema: None, spec=None)
        return converter.schema2jsonschema(self.input), converter.schema2jsonschema(self.output)


class UnknownAction(LookupError):
    """No action of that name for this tenant: its component is off, or nobody declared it."""


class ActionForbidden(PermissionError):
    """The principal an action runs for does not hold its scope."""


def register(app, *declared: Action) -> None:
    """Make the component's actions callable (from its init_app: `actions.register(app, *ACTIONS)`)."""
    registry = app.extensions.setdefault("civic.actions", {})
    for action in declared:
        if action.name.count(".") != 1:
            raise ValueError(f"an action is named <component>.<name>, not {action.name!r}")
        if action.name in registry:
            raise ValueError(f"action {action.name!r} is registered twice")
        registry[action.name] = action


def _enabled(action: Action, tenant_id: uuid.UUID | None) -> bool:
    if tenant_id is None:
        return True
    from civic.core.db import session
    from civic.core.tenancy import Tenant

    tenant = session.get(Tenant, tenant_id)
    return tenant is not None and tenant.has_component(action.component)


def get(name: str, app=None, *, tenant_id: uuid.UUID | None = None) -> Action | None:
    """The action, or None when its component is not running (or, given a tenant, is off for it)."""
    action = (app or current_app).extensions.get("civic.actions", {}).get(name)
    return action if action is not None and _enabled(action, tenant_id) else None


def names(app=None) -> list[str]:
    return sorted((app or current_app).extensions.get("civic.actions", {}))


def catalogue(*, tenant_id: uuid.UUID, app=None) -> list[dict]:
    """What a tenant's flows may call: every action of the components it has on, with its schemas."""
    found = []
    for name in names(app):
        action = get(name, app, tenant_id=tenant_id)
        if action is not None:
            given, answer = action.json_schemas()
            found.append({"name": name, "component": action.component, "description": action.description,
                          "scope": action.required_scope, "input_schema": given, "output_schema": answer})
    return found


def system_principal(tenant_id: uuid.UUID):
    """Who an action runs for when no one is named: the tenant itself, with no scope."""
    from civic.core.auth import Principal

    return Principal(tenant_id=tenant_id, client_id="system", scopes=frozenset())


def run(name: str, *, tenant_id: uuid.UUID, data: dict, principal=None) -> dict:
    """Run an action for one tenant: input checked by its schema (a ValidationError if bad), output dumped.
    With `principal`, it must be the tenant's and hold the action's scope (ActionForbidden otherwise)."""
    if tenant_id is None:
        raise ValueError("tenant_id is required")
    action = get(name, tenant_id=tenant_id)
    if action is None:
        raise UnknownAction(f"no action {name!r} (is its component enabled?)")
    if principal is not None and (principal.tenant_id != tenant_id or action.required_scope not in principal.scopes
                                  or action.component not in (principal.components or (action.component,))):
        raise ActionForbidden(f"{name} needs the scope {action.required_scope}")
    from civic.core.tenancy import tenant_context  # the registry itself needs no database

    loaded = action.input().load(data)
    if action.principal:
        loaded["principal"] = principal or system_principal(tenant_id)
    with tenant_context(tenant_id):  # every query the action makes is filtered to that tenant, whatever it forgets
        return action.output().dump(action.fn(tenant_id=tenant_id, **loaded))
