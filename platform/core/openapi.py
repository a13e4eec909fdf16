"""What the OpenAPI spec says beyond the schemas: examples, error answers and who may call each operation.

- **Examples** are declared next to each schema, `class Meta(<Parent>.Meta): example = {...}` (or a
  function returning one, for times that must stay in the future): the record as the API answers it.
  An operation's success answer shows it (without write-only fields; a page shows one item), and its
  request body shows it without the read-only fields (`id`, `created_at`, `status`...).
- **Errors**: each operation documents the answers it can give, one example per code, built from the
  error catalogue: the codes its description names (as `` `code` ``), plus `unauthenticated` and
  `insufficient_scope` for a protected operation, `not_found` for one with an id in its path and
  `validation_failed` for one that takes input.
- **Who may call it** is written from the operation's security (the scopes `@require` checks), so it
  cannot drift from the code.
"""
import copy
import http
import re

import marshmallow as ma
from apispec import BasePlugin

from civic.core.errors import REGISTRY

CODE = re.compile(r"`([a-z][a-z0-9_]+)`")
REF = "#/components/schemas/"


def example_of(schema) -> dict | None:
    """The declared example of a schema (class or instance); a page shows one item."""
    cls = schema if isinstance(schema, type) else type(schema)
    item = getattr(cls, "item_schema", None)  # civic.core.pagination.page_schema
    if item is not None:
        one = example_of(item)
        return None if one is None else {"items": [one], "next": None}
    example = getattr(getattr(cls, "Meta", None), "example", None)
    return example() if callable(example) else copy.deepcopy(example)


def _instance(schema) -> ma.Schema:
    return schema() if isinstance(schema, type) else schema


def _fields_of(field):
    """The schema a Nested (or a List of Nested) field holds, else None."""
    inner = getattr(field, "inner", None)
    return _fields_of(inner) if inner is not None else getattr(field, "schema", None)


def shaped(schema, value, *, drop: str):
    """`value` without the fields a request may not send (drop="dump_only") or an answer never has ("load_only")."""
    if isinstance(value, list):
        return [shaped(schema, item, drop=drop) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    fields = {field.data_key or name: field for name, field in _instance(schema).fields.items()}
    for key, item in value.items():
        field = fields.get(key)
        if field is not None and getattr(field, drop):
            continue
        nested = _fields_of(field) if field is not None else None
        result[key] = shaped(nested, item, drop=drop) if nested is not None and item is not None else item
    return result


def request_example(schema) -> dict | None:
    example = example_of(schema)
    return None if example is None else shaped(schema, example, drop="dump_only")


def response_example(schema) -> dict | None:
    example = example_of(schema)
    return None if example is None else shaped(schema, example, drop="load_only")


def codes_named(text: str) -> list[str]:
    """The error codes a description names, in order."""
    return list(dict.fromkeys(code for code in CODE.findall(text or "") if code in REGISTRY))


def who_may_call(security: list | None) -> str:
    if security is None:
        return ""
    if not security:
        return "**Who may call it:** anyone; no token is needed."
    scopes = [scope for requirement in security for scope in requirement.get("oauth2", [])]
    if not scopes:
        return "**Who may call it:** any valid access token."
    if len(security) > 1:
        return "**Who may call it:** a token with one of the scopes " + ", ".join(f"`{s}`" for s in scopes) + "."
    return "**Who may call it:** a token with the scope" + ("s " if len(scopes) > 1 else " ") + \
        ", ".join(f"`{s}`" for s in scopes) + "."


def document(api, paths: dict, tag: dict) -> None:
    """Put routes that are not flask-smorest views (OAuth, Open311) in the spec, with operations written by hand.

    An operation that documents its own error answers (its own format) keeps them; the rest is filled in
    as for every operation."""
    from werkzeug.routing import Rule

    def write():
        api.spec.tag(tag)
        for rule, operations in paths.items():  # Flask rules: `/open311/v2/requests/<report_id>.<fmt>`
            api.spec.path(rule=Rule(rule), operations=copy.deepcopy(operations), parameters=[])

    api.later(write)


def error_answer(description: str, media_type: str, schema: dict, examples: dict) -> dict:
    """A hand-written error answer: `examples` is {code: example body}."""
    return {"description": description, "content": {media_type: {"schema": schema, "examples": {
        code: {"summary": REGISTRY[code].title if code in REGISTRY else code, "value": value}
        for code, value in examples.items()}}}}


class ExamplesPlugin(BasePlugin):
    """An apispec plugin (after flask-smorest's marshmallow one): fills each operation in as above."""

    def __init__(self, ma_plugin):
        self.ma_plugin = ma_plugin

    def schema_for(self, value):
        """The schema class behind an operation's `schema` (an instance, a class, or a `$ref` to a component)."""
        if isinstance(value, dict) and value.get("$ref", "").startswith(REF):
            name = value["$ref"][len(REF):]
            return next((key[0] for key, registered in self.ma_plugin.converter.refs.items() if registered == name),
                        None)
        return value if value is not None and not isinstance(value, dict) else None

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if method in ("get", "post", "put", "patch", "delete") and isinstance(operation, dict):
                self._examples(operation)
                self._errors(path, operation)
                who = who_may_call(operation.get("security"))
                if who:
                    operation["description"] = f"{operation.get('description', '').strip()}\n\n{who}".strip()

    def _examples(self, operation: dict) -> None:
        bodies = [(operation.get("requestBody", {}), request_example)] + [
            (answer, response_example) for status, answer in operation.get("responses", {}).items()
            if isinstance(answer, dict) and str(status).startswith("2")]
        for body, build in bodies:
            for media in (body.get("content") or {}).values():
                declared = media.get("schema") or {}
                many = isinstance(declared, dict) and declared.get("type") == "array"  # `Schema(many=True)`
                schema = self.schema_for(declared.get("items") if many else declared)
                example = build(schema) if schema is not None else None
                example = [example] if many and example is not None else example
                if example is not None and "example" not in media and "examples" not in media:
                    media["example"] = example

    def _errors(self, path: str, operation: dict) -> None:
        responses = operation.setdefault("responses", {})
        if any(str(status)[0] in "45" and "content" in answer for status, answer in responses.items()):
            return  # the operation documents its own error answers (OAuth's and Open311's formats)
        codes = codes_named(operation.get("description", ""))
        if operation.get("security"):
            codes += ["unauthenticated", "insufficient_scope"]
        if "{" in (path or ""):
            codes.append("not_found")
        takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", []))
        if takes_input:
            codes.append("validation_failed")
        by_status: dict[int, dict] = {}
        for code in dict.fromkeys(codes):
            kind = REGISTRY[code]
            by_status.setdefault(kind.status, {})[code] = {"summary": kind.title, "value": kind.example()}
        for status, examples in sorted(by_status.items()):
            responses[str(status)] = {
                "description": http.HTTPStatus(status).phrase + ": " + ", ".join(f"`{c}`" for c in examples),
                "content": {"application/problem+json": {"schema": {"$ref": REF + "Problem"}, "examples": examples}}}
