"""The request's unit of work: checks at the edge, one commit at the end, rollback on error."""
import logging

import sqlalchemy as sa
from flask import request
from werkzeug.exceptions import BadRequest

from civic.core import idempotency
from civic.core.db import session
from civic.core.errors import (Problem, concurrent_change, handle_database_unavailable, is_disconnect, is_transient,
                               problem_response)

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
        raise Problem(415, "unsupported_media_type",
                      f"Send JSON with `Content-Type: application/json` (got {request.mimetype or 'none'}).")
    try:
        request.get_json()
    except BadRequest:
        raise Problem(400, "malformed_json", "The request body is not valid JSON.", title="Malformed JSON") from None


def _takes_a_body() -> bool:
    """Whether the matched API operation (a flask-smorest MethodView) declares a body with `@arguments`.

    Views that are not documented operations read their own body, so they count as taking one.
    """
    from flask import current_app

    view_class = getattr(current_app.view_functions.get(request.endpoint), "view_class", None)
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
        raise Problem(422, "unexpected_body", "This call takes no body; leave it out.",
                      errors={f: ["Unknown field."] for f in fields})


def _nul_fields(value, path: str = "") -> list[str]:
    """Where a NUL character hides in parsed input (PostgreSQL cannot store one in text)."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _nul_fields(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _nul_fields(v, f"{path}.{i}" if path else str(i))]
    return []


def _check_characters() -> None:
    """Text with a NUL character is refused at the edge, on every database, with a clear 422."""
    fields = [k for k, v in request.args.items(multi=True) if "\x00" in k or "\x00" in v]
    if request.method in WRITE_METHODS:
        fields += [k for k, v in request.form.items(multi=True) if "\x00" in k or "\x00" in v]
        if request.is_json:
            fields += _nul_fields(request.get_json(silent=True))
    if fields:
        raise Problem(422, "invalid_character", "Text may not contain the NUL character (\\u0000).",
                      title="Invalid character", errors={f: ["Contains a NUL character."] for f in fields})


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
            session.rollback()
            idempotency.release()
            return response
        try:
            idempotency.finish(response)
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()
            idempotency.release()
            log.warning("conflict on commit", exc_info=True)
            return problem_response(409, "conflict", "Conflict", "The change conflicts with another one. Try again.")
        except sa.exc.SQLAlchemyError as exc:
            session.rollback()
            idempotency.release()
            if is_disconnect(exc):
                return handle_database_unavailable(exc)
            log.exception("commit failed")
            return problem_response(500, "internal_error", "Internal server error", "The change could not be saved.")
        return response
