"""Case types as data: checking a definition, the moves it allows, and its custom fields' JSON Schema.

A definition (stored on `CaseType.definition`) holds `states` (each with an optional `sla` target and
`pauses_sla`), `initial_state`, `final_states`, `transitions` (each `from`, `to`, and optionally the
`role` or `scope` the actor needs), the whole-case `sla`, `priorities`, `default_priority` and
`fields_schema` (JSON Schema, Draft 2020-12).
"""
import jsonschema
import referencing.exceptions
from jsonschema.validators import Draft202012Validator

from civic.casework import problems
from civic.casework.models import DEFINITION_KEYS  # noqa: F401  (the parts of a definition)
from civic.core import people
EMPTY_SCHEMA = {"type": "object"}


def check_definition(definition: dict) -> None:
    """Raise `case_type_invalid` naming every inconsistency (the schema already checked the shapes)."""
    errors: dict[str, list[str]] = {}
    names = [s["name"] for s in definition["states"]]
    if len(set(names)) != len(names):
        errors.setdefault("states", []).append("State names must be unique.")
    if definition["initial_state"] not in names:
        errors.setdefault("initial_state", []).append("Must be one of the states.")
    if not definition["final_states"] or any(s not in names for s in definition["final_states"]):
        errors.setdefault("final_states", []).append("At least one, each one of the states.")
    if definition["initial_state"] in definition["final_states"]:
        errors.setdefault("final_states", []).append("The initial state cannot be final.")
    seen = set()
    for i, move in enumerate(definition["transitions"]):
        if move["from"] not in names or move["to"] not in names:
            errors.setdefault("transitions", []).append(f"Transition {i}: `from` and `to` must be states.")
        elif move["from"] in definition["final_states"]:
            errors.setdefault("transitions", []).append(f"Transition {i}: a final state has no way out.")
        if (move["from"], move["to"]) in seen:
            errors.setdefault("transitions", []).append(f"Transition {i}: listed twice.")
        seen.add((move["from"], move["to"]))
    if len(set(definition["priorities"])) != len(definition["priorities"]):
        errors.setdefault("priorities", []).append("Priorities must be unique.")
    if definition["default_priority"] not in definition["priorities"]:
        errors.setdefault("default_priority", []).append("Must be one of the priorities.")
    if _outside_refs(definition["fields_schema"]):
        errors.setdefault("fields_schema", []).append("Only references inside the schema (`#/...`) are allowed.")
    try:
        Draft202012Validator.check_schema(definition["fields_schema"])
        if definition["fields_schema"].get("type", "object") != "object":
            errors.setdefault("fields_schema", []).append('The custom fields are an object: "type": "object".')
    except jsonschema.SchemaError as exc:
        errors.setdefault("fields_schema", []).append(f"Not a valid JSON Schema: {exc.message}")
    if errors:
        raise problems.CASE_TYPE_INVALID("The case type definition is not consistent: see `errors`.", errors=errors)


def _outside_refs(schema) -> bool:
    """Whether the schema names anything outside itself (never fetched: a schema may not reach the network)."""
    if isinstance(schema, dict):
        return any((key in ("$ref", "$dynamicRef") and not str(value).startswith("#")) or _outside_refs(value)
                   for key, value in schema.items())
    return isinstance(schema, list) and any(_outside_refs(item) for item in schema)


def check_fields(definition: dict, values: dict) -> None:
    """Raise `case_fields_invalid` unless `values` fit the case type's JSON Schema."""
    validator = Draft202012Validator(definition.get("fields_schema") or EMPTY_SCHEMA)
    try:
        found = sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path))
    except referencing.exceptions.Unresolvable:  # a `#/...` reference to nothing
        raise problems.CASE_TYPE_INVALID("The case type's fields_schema has a reference to nothing: fix the case type.") from None
    if found:
        errors: dict[str, list[str]] = {}
        for error in found[:20]:
            where = ".".join(str(p) for p in error.absolute_path) or "_schema"
            errors.setdefault(f"fields.{where}" if where != "_schema" else "fields", []).append(error.message)
        raise problems.FIELDS_INVALID("The custom fields do not fit the case type: see `errors`.", errors=errors)


def state(definition: dict, name: str) -> dict:
    return next((s for s in definition["states"] if s["name"] == name), {"name": name})


def is_final(definition: dict, name: str) -> bool:
    return name in definition["final_states"]


def check_move(definition: dict, current: str, to: str, principal) -> None:
    """Refuse a move the case type does not allow (409), or that the caller may not make (403)."""
    move = next((m for m in definition["transitions"] if m["from"] == current and m["to"] == to), None)
    if move is None:
        raise problems.TRANSITION_NOT_ALLOWED(f"A case cannot move from {current!r} to {to!r}.")
    if move.get("scope") and move["scope"] not in principal.scopes:
        raise problems.TRANSITION_FORBIDDEN(f"Moving to {to!r} needs the scope {move['scope']}.")
    if move.get("role") and not people.role_at_least(principal, move["role"]):
        raise problems.TRANSITION_FORBIDDEN(f"Moving to {to!r} needs the role {move['role']}.")


def check_priority(definition: dict, priority: str) -> None:
    if priority not in definition["priorities"]:
        raise problems.PRIORITY_UNKNOWN(f"Use one of: {', '.join(definition['priorities'])}.",
                                        errors={"priority": [f"One of {definition['priorities']}."]})
