"""The request's unit of work: checks at the edge, one commit at the end, rollback on error."""
import contextlib
import logging
import math
import re

import sqlalchemy as sa
from flask import request
from werkzeug.exceptions import BadRequest

from civic.core import idempotency, problems
from civic.core.db import session
from civic.core.errors import (Problem, concurrent_change, handle_database_unavailable, handle_problem, is_disconnect,
                               is_transient, respond)

log = logging.getLogger("civic.lifecycle")
JSON_PREFIXES = ("/v1/",)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _check_body() -> None:
    """JSON APIs take JSON: wrong content type is a 415, broken JSON a 400, before any work."""
    if request.method not in WRITE_METHODS or not request.path.startswith(JSON_PREFIXES):
        return
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return
    if not request.is_json:
        raise problems.UNSUPPORTED_MEDIA_TYPE(
                      f"Send JSON with `Content-Type: application/json` (got {request.mimetype or 'none'}).")
    try:
        request.get_json()
    except BadRequest:
        raise problems.MALFORMED_JSON("The request body is not valid JSON.") from None
    except RecursionError:  # nested deeper than the parser goes
        raise _too_deep() from None


def _takes_a_body() -> bool:
    """Whether the matched API operation (a flask-smorest MethodView) declares a body with `@arguments`.

    Views that are not documented operations read their own body, so they count as taking one.
    """
    from flask import current_app

    view_class = getattr(current_app.view_functions.get(request.endpoint), "view_class", None)
    # flask-smorest has no public reader of an operation's declared arguments: `_apidoc` is where
    # `@blp.arguments` and `@blp.response` record them (pinned by tests/core/test_characters.py).
    apidoc = getattr(getattr(view_class, request.method.lower(), None), "_apidoc", {})
    if "response" not in apidoc and "arguments" not in apidoc:
        return True
    parameters = apidoc.get("arguments", {}).get("parameters", [])
    return any(p.get("in") in ("json", "form") for p in parameters)


def _check_no_unexpected_body() -> None:
    """An operation that takes no body refuses one with fields in it, rather than silently ignoring them."""
    if request.method not in WRITE_METHODS or not request.path.startswith(JSON_PREFIXES) or not request.is_json:
        return
    body = request.get_json(silent=True)
    if body and request.endpoint and not _takes_a_body():
        fields = list(body) if isinstance(body, dict) else ["_schema"]
        raise problems.UNEXPECTED_BODY("This call takes no body; leave it out.",
                      errors={f: ["Unknown field."] for f in fields})


# C0 controls but tab, newline and carriage return; and UTF-16 surrogates, which only come alone
# (a JSON "\\ud800"): no database or encoder can store or send them.
BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
MAX_JSON_DEPTH = 32


def _refusal(text: str) -> str | None:
    """Why `text` is refused, or None."""
    match = BAD_CHARACTER.search(text)
    if match is None:
        return None
    char = match.group()
    if char == "\x00":
        return "Contains a NUL character."
    if char >= "\ud800":
        return "Contains an unpaired surrogate (\\ud800-\\udfff)."
    return f"Contains a control character (\\u{ord(char):04x})."


def _too_deep() -> Problem:
    return problems.JSON_TOO_DEEP(f"JSON may be nested at most {MAX_JSON_DEPTH} levels deep.")


def _json_refusals(value, numbers: dict | None = None) -> dict[str, list[str]]:
    """Field -> why, for bad characters anywhere in parsed JSON (keys included); walked without recursion.
    Numbers that are not finite (NaN, Infinity, 1e400) go into `numbers` the same way."""
    found: dict[str, list[str]] = {}
    stack = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if (why := _refusal(item)) is not None:
                found.setdefault(path or "_schema", [why])
            continue
        if isinstance(item, float) and not math.isfinite(item) and numbers is not None:
            numbers.setdefault(path or "_schema", ["Not a finite number (NaN, Infinity and beyond 1e308 are not kept)."])
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in reversed(list(pairs)):
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (why := _refusal(key)) is not None:
                found.setdefault(where, [why])
            stack.append((child, where, depth + 1))
    return found


def _check_characters() -> None:
    """Text with a control character or a lone surrogate is refused at the edge, on every database, with a 422."""
    pairs = list(request.args.items(multi=True))
    if request.method in WRITE_METHODS:
        pairs += list(request.form.items(multi=True))
    errors = {k: [why] for k, v in pairs if (why := _refusal(k) or _refusal(v)) is not None}
    numbers: dict[str, list[str]] = {}
    if request.method in WRITE_METHODS and request.is_json:
        errors.update(_json_refusals(request.get_json(silent=True), numbers))
    if errors:
        raise problems.INVALID_CHARACTER(
            "Text may not contain control characters (such as NUL, \\u0000) or unpaired surrogates.", errors=errors)
    if numbers:  # no database keeps them in JSON, and no JSON reader reads them back
        raise problems.VALIDATION_FAILED("Numbers must be finite.", errors=numbers)


def run_view(principal, view, args, kwargs):
    """A protected view after its checks: the Idempotency-Key step, then the view.

    A deadlock or serialization failure rolls the request back and runs it once more
    (the other transaction has usually finished by then); a second one is a 409 to retry.
    """
    for attempt in (1, 2):
        try:
            replay = idempotency.begin(principal)
            return replay if replay is not None else view(*args, **kwargs)
        except sa.exc.DBAPIError as exc:
            if not is_transient(exc):
                raise
            session.rollback()
            idempotency.release()
            log.warning("transaction conflict on %s %s (attempt %d)", request.method, request.path, attempt)
    raise concurrent_change()


def _roll_back() -> None:
    """End the request's transaction; a connection the server already killed (the answer is a 503 then)
    cannot roll back, and must not turn that answer into an unhandled error: it is dropped instead."""
    try:
        session.rollback()
    except sa.exc.SQLAlchemyError as exc:
        log.warning("rollback failed: %s", type(exc).__name__)
        with contextlib.suppress(Exception):
            session.invalidate()


def init_app(app) -> None:
    @app.before_request
    def _begin():
        _check_body()
        _check_characters()
        _check_no_unexpected_body()

    # after_request functions run last-registered first: these headers go on whatever response
    # _end leaves, including the problem it answers with when the commit fails.
    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith(("/v1/", "/oauth/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.after_request
    def _end(response):
        if response.status_code >= 400:
            _roll_back()
            idempotency.release()
            return response
        try:
            idempotency.finish(response)
            session.commit()
        except sa.exc.IntegrityError:
            _roll_back()
            idempotency.release()
            log.warning("conflict on commit", exc_info=True)
            return respond(problems.CONFLICT, "The change conflicts with another one. Try again.")
        except sa.exc.SQLAlchemyError as exc:
            _roll_back()
            idempotency.release()
            if is_disconnect(exc):
                return handle_database_unavailable(exc)
            if is_transient(exc):
                log.warning("transaction conflict on commit", exc_info=True)
                return handle_problem(concurrent_change())
            log.exception("commit failed")
            return respond(problems.INTERNAL_ERROR, "The change could not be saved.")
        return response
