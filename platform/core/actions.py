"""Named actions: what one component lets others ask of it, without an import between them.

A component declares each action once (name, input and output marshmallow schemas, the service
function) and registers it from its `init_app`, so an action exists only while its component is on.
Another component (or a flow) looks it up by name and runs it for one tenant: the caller's tenant,
passed explicitly, and nothing else. Input is loaded (unknown fields refused) and output dumped
through the declared schemas, so both sides agree on the shape without sharing code.

    DETAILS = Action("booking.message_details", "Who to write to about a booking.",
                     DetailsInput, DetailsOutput, message_details)
    actions.register(app, DETAILS)                           # in booking's init_app
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

    @property
    def component(self) -> str:
        return self.name.split(".", 1)[0]


class UnknownAction(LookupError):
    """No action of that name: its component is off, or nobody declared it."""


def register(app, action: Action) -> None:
    if action.name.count(".") != 1:
        raise ValueError(f"an action is named <component>.<name>, not {action.name!r}")
    registry = app.extensions.setdefault("civic.actions", {})
    if action.name in registry:
        raise ValueError(f"action {action.name!r} is registered twice")
    registry[action.name] = action


def get(name: str, app=None) -> Action | None:
    """The action, or None when its component is not running."""
    return (app or current_app).extensions.get("civic.actions", {}).get(name)


def names(app=None) -> list[str]:
    return sorted((app or current_app).extensions.get("civic.actions", {}))


def run(name: str, *, tenant_id: uuid.UUID, data: dict) -> dict:
    """Run an action for one tenant: input checked by its schema (a ValidationError if bad), output dumped."""
    if tenant_id is None:
        raise ValueError("tenant_id is required")
    action = get(name)
    if action is None:
        raise UnknownAction(f"no action {name!r} (is its component enabled?)")
    from civic.core.tenancy import tenant_context  # the registry itself needs no database

    loaded = action.input().load(data)
    with tenant_context(tenant_id):  # every query the action makes is filtered to that tenant, whatever it forgets
        return action.output().dump(action.fn(tenant_id=tenant_id, **loaded))
