"""What the app serves, read from its URL map and its OpenAPI spec, never from a hand-kept list.

Routes added later are picked up here; the tests then ask for a creator or a body
for any route they cannot exercise yet, instead of silently skipping it.
"""
import dataclasses
import functools
import json
import uuid

from civic.core.auth import SCOPES_ATTR
from civic.gateway.service import KNOWN_SCOPES

WRITE_METHODS = ("POST", "PUT", "PATCH")
STEWARD = "platform:admin"


@dataclasses.dataclass(frozen=True)
class Operation:
    """One method of one route, with the scope alternatives its view demands (empty: public)."""

    path: str  # the URL map's template, e.g. /v1/booking/bookings/<booking_id>
    method: str
    arguments: tuple[str, ...]
    alternatives: tuple[frozenset, ...]

    @property
    def protected(self) -> bool:
        return bool(self.alternatives)

    @property
    def steward_only(self) -> bool:
        return self.protected and all(STEWARD in alt for alt in self.alternatives)

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def has_id(self) -> bool:
        return bool(self.arguments)

    @property
    def self_authenticated(self) -> bool:
        """A public route that names its organisation or object in the path and proves the caller by its own
        means (a provider's signature, a callback bearer token, a signed link), not by a platform token."""
        return not self.protected and self.has_id

    def tenant_scopes(self) -> frozenset:
        """The scopes an ordinary (non-steward) tenant needs for this route (none for a public one)."""
        if not self.alternatives:
            return frozenset()
        usable = [alt for alt in self.alternatives if STEWARD not in alt] or list(self.alternatives)
        return usable[0]

    def tokens_missing_a_scope(self) -> list[frozenset]:
        """Every known scope but one the route needs (for `require_any`, but all it accepts)."""
        if len(self.alternatives) == 1:
            return [frozenset(KNOWN_SCOPES) - {scope} for scope in sorted(self.alternatives[0])]
        return [frozenset(KNOWN_SCOPES) - frozenset().union(*self.alternatives)]

    def url(self, values: dict) -> str:
        path = self.path
        for name in self.arguments:
            path = path.replace(f"<{name}>", str(values[name])).replace(f"<uuid:{name}>", str(values[name]))
        return path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _alternatives(fn) -> tuple[frozenset, ...]:
    scopes = getattr(fn, SCOPES_ATTR, None)
    if not scopes:
        return ()
    security = getattr(fn, "_apidoc", {}).get("manual_doc", {}).get("security") or [{"oauth2": list(scopes)}]
    return tuple(frozenset(alt["oauth2"]) for alt in security)


def operations(app, prefix: str = "/v1/") -> list[Operation]:
    """Every method of every route under `prefix`, in a stable order."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(prefix):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            fn = getattr(view_class, method.lower()) if view_class else view
            found.append(Operation(rule.rule, method, tuple(rule.arguments), _alternatives(fn)))
    return found


def leaks(body: bytes, secrets) -> list[str]:
    text = body.decode("utf-8", "replace")
    return [s for s in secrets if s and s in text]


# --- the OpenAPI spec ---------------------------------------------------------------
def openapi_path(template: str) -> str:
    """/v1/x/<uuid:thing_id> -> /v1/x/{thing_id}"""
    out, rest = "", template
    while "<" in rest:
        head, _, tail = rest.partition("<")
        name, _, rest = tail.partition(">")
        out += head + "{" + name.rsplit(":", 1)[-1] + "}"
    return out + rest


class Spec:
    """The app's own /openapi.json, with `$ref`s resolved on demand."""

    def __init__(self, doc: dict):
        self.doc = doc

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def operation(self, op: Operation) -> dict | None:
        return self.doc["paths"].get(openapi_path(op.path), {}).get(op.method.lower())

    def request_schema(self, op) -> dict | None:
        """The JSON body schema of `op` (an Operation, or an operation object of the spec)."""
        body = (self.operation(op) if isinstance(op, Operation) else op or {}).get("requestBody")
        if not body:
            return None
        return self.resolve(self.resolve(body)["content"]["application/json"]["schema"])

    def response_schema(self, op: Operation, status: int, mimetype: str = "application/json") -> dict | None:
        responses = (self.operation(op) or {}).get("responses", {})
        documented = responses.get(str(status)) or responses.get("default")
        if documented is None:
            return None
        content = self.resolve(documented).get("content", {}).get(mimetype)
        return self.resolve(content["schema"]) if content and "schema" in content else None

    def undocumented_keys(self, value, schema: dict, where: str = "$") -> list[str]:
        """Keys in `value` that `schema` does not document (recursively)."""
        schema = self.resolve(schema)
        extra = []
        for sub in schema.get("allOf", []):
            schema = {**schema, **self.resolve(sub), "properties": {**schema.get("properties", {}),
                                                                   **self.resolve(sub).get("properties", {})}}
        if isinstance(value, dict) and "properties" in schema:
            open_ended = schema.get("additionalProperties") not in (None, False)
            for key, item in value.items():
                if key in schema["properties"]:
                    extra += self.undocumented_keys(item, schema["properties"][key], f"{where}.{key}")
                elif not open_ended:
                    extra.append(f"{where}.{key}")
        elif isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value[:5]):
                extra += self.undocumented_keys(item, schema["items"], f"{where}[{index}]")
        return extra


@functools.cache
def documented_spec() -> Spec:
    """The spec, read from an app built at collection time (the spec needs no database)."""
    from civic.app import create_app

    from tests.conftest import TEST_SECRET

    app = create_app({"ENV": "test", "DATABASE_URL": "sqlite://", "SECRET_KEY": TEST_SECRET, "LOG_LEVEL": "WARNING"})
    try:
        return Spec(app.test_client().get("/openapi.json").get_json())
    finally:
        app.extensions["civic.engine"].dispose()


def documented_paths() -> dict:
    """The /v1 JSON API's paths. OAuth's and Open311's form-encoded routes are in the spec too, with their own
    formats; their own suites (tests/gateway, tests/reporting/test_open311.py) cover them."""
    return {path: item for path, item in documented_spec().doc["paths"].items() if path.startswith("/v1/")}


def documented_operations() -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, item in documented_paths().items() for method in item if method != "parameters"]


def random_values(op: Operation) -> dict:
    return {name: str(uuid.uuid4()) for name in op.arguments}


def as_json(response):
    try:
        return json.loads(response.data)
    except ValueError:
        return None
