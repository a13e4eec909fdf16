"""The citizen's form of a composed service: a JSON Schema (2020-12) of their answers, checked when the service
is published, then used to check each submission's answers.

What a form may use is bounded, so that checking answers costs little, reaches nothing and cannot fail
later: references only within the form (`#/...`, each resolving), no `$id`, `$anchor`, `$dynamicRef` or
`patternProperties`; every `pattern` runs on RE2 (google-re2: linear time, no backtracking, so no pattern
makes a check slow; back-references and look-arounds are refused when published); only the formats the
platform checks (FORMATS; another would be silently ignored, so it is refused; `email` is the core's own
rule, `civic.core.contact.email`, as everywhere else on the platform). Answers are at most
ANSWERS_MAX_CHARS of JSON with lists of at most LIST_MAX items (`uniqueItems` compares pairs), and at most
ERRORS_SHOWN errors are gathered.
"""
import functools
import itertools
import json

import jsonschema
import re2
import referencing
import referencing.exceptions
from jsonschema import Draft202012Validator

from civic.core import contact

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FORM_MAX_CHARS = 20_000
ANSWERS_MAX_CHARS = 32_000
LIST_MAX = 500
PATTERN_MAX_CHARS = 500
ERRORS_SHOWN = 50
REFUSED = ("$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$vocabulary", "patternProperties")
FORMATS = tuple(sorted(set(Draft202012Validator.FORMAT_CHECKER.checkers) - {"regex"}))  # regex: Python's own re
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
FORMAT_CHECKER = jsonschema.FormatChecker(FORMATS)


@FORMAT_CHECKER.checks("email", raises=contact.InvalidContact)
def _email(value) -> bool:
    return not isinstance(value, str) or bool(contact.email(value))


class Invalid(ValueError):
    """A form that cannot be used: `where` (form.properties.x...) and why."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where, self.message = where, message


class Broken(RuntimeError):
    """A published form that could not check an answer (it cannot happen to a form `check` accepted)."""


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str):
    return re2.compile(pattern, options=_OPTIONS)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(Draft202012Validator, {"pattern": _pattern})


def _no_retrieval(uri: str):
    raise referencing.exceptions.NoSuchResource(ref=uri)


REGISTRY = referencing.Registry(retrieve=_no_retrieval)  # a form never makes the platform fetch a document


def _validator(form: dict):
    return Validator(form, registry=REGISTRY, format_checker=FORMAT_CHECKER)


def _at(form: dict, pointer: str):
    """The part of the form a local reference (`#`, `#/$defs/name`...) names, or None."""
    value = form
    for part in pointer[2:].split("/") if pointer.startswith("#/") and pointer != "#/" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _walk(form: dict, value, where: str) -> None:
    if isinstance(value, list):
        for number, inner in enumerate(value):
            _walk(form, inner, f"{where}.{number}")
        return
    if not isinstance(value, dict):
        return
    for key, inner in value.items():
        place = f"{where}.{key}"
        if key in REFUSED:
            raise Invalid(place, f"Forms do not use {key}.")
        if key == "$ref" and not (isinstance(inner, str) and inner.startswith("#/")
                                  and isinstance(_at(form, inner), (dict, bool))):
            raise Invalid(place, "A reference names a part of this form (#/$defs/...) that exists.")
        if key == "pattern" and isinstance(inner, str):
            if len(inner) > PATTERN_MAX_CHARS:
                raise Invalid(place, f"A pattern has at most {PATTERN_MAX_CHARS} characters.")
            try:
                _compiled(inner)
            except re2.error:
                raise Invalid(place, "Not a pattern RE2 runs (back-references and look-arounds are not allowed).") from None
        if key == "format" and isinstance(inner, str) and inner not in FORMATS:
            raise Invalid(place, f"Formats checked: {', '.join(FORMATS)}.")
        if key not in ("const", "enum", "default", "examples"):  # values there are data, not schema
            _walk(form, inner, place)


def check(form: dict) -> None:
    """Refuse a form that is not a JSON Schema of an object within these bounds (raises `Invalid`)."""
    if len(json.dumps(form)) > FORM_MAX_CHARS:
        raise Invalid("form", f"At most {FORM_MAX_CHARS} characters of JSON Schema.")
    if form.get("type") != "object":
        raise Invalid("form", 'The form is a JSON Schema with "type": "object" (its properties are the questions).')
    if form.get("$schema", DIALECT) != DIALECT:
        raise Invalid("form.$schema", f"Forms are JSON Schema 2020-12 ({DIALECT}).")
    try:
        Draft202012Validator.check_schema(form)
    except jsonschema.SchemaError as exc:
        where = ".".join(str(part) for part in exc.path)
        raise Invalid(f"form{'.' + where if where else ''}", exc.message[:300]) from None
    _walk(form, form, "form")
    _no_loops(form)


IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")  # applied to the same answer, not a part of it


def _no_loops(form: dict) -> None:
    """Refuse references that come back to where they started without moving into a part of the answer (the
    check would never end)."""
    def next_to(pointer: str, schema) -> list[str]:
        if not isinstance(schema, dict):
            return []
        found = [schema["$ref"]] if isinstance(schema.get("$ref"), str) else []
        for key in IN_PLACE:
            inner = schema.get(key)
            if isinstance(inner, list):
                found += [f"{pointer}/{key}/{n}" for n in range(len(inner))]
            elif isinstance(inner, dict):
                found.append(f"{pointer}/{key}")
        return found

    starts = ["#", *(f"#/$defs/{name}" for name in form.get("$defs") or {})]
    done: set[str] = set()
    for start in starts:
        path, stack = set(), [(start, iter(next_to(start, _at(form, start))))]
        path.add(start)
        while stack:
            pointer, onward = stack[-1]
            following = next(onward, None)
            if following is None:
                stack.pop()
                path.discard(pointer)
                done.add(pointer)
                continue
            if following in path:
                raise Invalid("form", f"The reference {following} loops back on itself without reading an answer.")
            if following not in done:
                path.add(following)
                stack.append((following, iter(next_to(following, _at(form, following)))))


def _too_big(answers: dict) -> dict:
    if len(json.dumps(answers)) > ANSWERS_MAX_CHARS:
        return {"form": [f"At most {ANSWERS_MAX_CHARS} characters of answers."]}
    stack = [(answers, "")]
    while stack:
        value, where = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        if isinstance(value, list) and len(value) > LIST_MAX:
            return {where or "form": [f"At most {LIST_MAX} items."]}
        stack.extend((inner, f"{where}.{key}" if where else str(key)) for key, inner in items)
    return {}


def errors(form: dict, answers: dict) -> dict[str, list[str]]:
    """Where (`email`, `items.0`; `form` for the whole) and why, for each answer that does not fit (at most
    ERRORS_SHOWN); {} when they all fit."""
    too_big = _too_big(answers)
    if too_big:
        return too_big
    try:
        found = list(itertools.islice(_validator(form).iter_errors(answers), ERRORS_SHOWN))
    except (RecursionError, referencing.exceptions.Unresolvable) as exc:
        raise Broken(type(exc).__name__) from None
    shown: dict[str, list[str]] = {}
    for error in sorted(found, key=lambda e: list(map(str, e.path))):
        shown.setdefault(".".join(str(part) for part in error.path) or "form", []).append(error.message[:300])
    return shown
