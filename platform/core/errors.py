"""RFC 9457 problem+json for every error the app can return, each with a stable `code`."""
import logging

import marshmallow as ma
from flask import json, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("civic.errors")
PROBLEM_PATH = "/problems/"  # each code's page: the platform serves the catalogue it is built from


def type_uri(code: str) -> str:
    """The `type` of a problem: the page on this platform that says what the code means and what to do."""
    from civic.core.edge import base_url  # here: edge raises problems itself

    try:
        return base_url() + PROBLEM_PATH + code
    except RuntimeError:  # outside a request (a job, a command): the path alone
        return PROBLEM_PATH + code


class Problem(Exception):
    """Raise anywhere to answer with problem+json: `raise Problem(409, "slot_unavailable", "...")`."""

    def __init__(self, status: int, code: str, detail: str = "", *, title: str | None = None,
                 errors: dict | None = None, headers: dict | None = None, **extra):
        super().__init__(detail or code)
        self.status, self.code, self.detail = status, code, detail
        known = REGISTRY.get(code)
        self.title = title or (known.title if known else code.replace("_", " ").capitalize())
        self.errors, self.headers, self.extra = errors, headers or {}, extra


class ProblemType:
    """A declared error code: `SLOT_FULL = declare("slot_unavailable", 409, "That slot is full", means=..., action=...)`.

    Each component declares its codes in its own `problems.py`; `raise SLOT_FULL("detail")` (or
    `SLOT_FULL(detail, errors=..., headers=...)`) builds the Problem with the declared status and title.
    `REGISTRY` holds every declared code: the error catalogue is built from it.
    """

    __slots__ = ("code", "status", "title", "means", "action")

    def __init__(self, code: str, status: int, title: str, *, means: str, action: str):
        self.code, self.status, self.title, self.means, self.action = code, status, title, means, action

    def __call__(self, detail: str = "", **kwargs) -> Problem:
        return Problem(self.status, self.code, detail or self.title, title=self.title, **kwargs)

    def __repr__(self) -> str:
        return f"ProblemType({self.code!r}, {self.status})"

    def describe(self) -> dict:
        """This code's entry in the catalogue."""
        return {"code": self.code, "status": self.status, "title": self.title, "means": self.means,
                "action": self.action, "type": type_uri(self.code)}

    def example(self, detail: str = "") -> dict:
        """A realistic answer with this code, for the API documentation."""
        return {"type": type_uri(self.code), "title": self.title, "status": self.status,
                "detail": detail or self.means, "code": self.code,
                "request_id": "3f2b6c1e9a0d4e57b8c2a1f06d9e4b7c"}


REGISTRY: dict[str, ProblemType] = {}


def declare(code: str, status: int, title: str, *, means: str, action: str) -> ProblemType:
    """Declare an error code once, with what it means and what the caller should do about it."""
    known = REGISTRY.get(code)
    if known is not None and (known.status, known.title) != (status, title):
        raise ValueError(f"problem code {code!r} is already declared differently")
    REGISTRY[code] = known or ProblemType(code, status, title, means=means, action=action)
    return REGISTRY[code]


def not_found(what: str = "resource") -> Problem:
    return problems.NOT_FOUND(f"No such {what}.")


class ProblemSchema(ma.Schema):
    """An error, as RFC 9457 problem details."""

    type = ma.fields.String(metadata={"description": "A URI naming the kind of problem."})
    title = ma.fields.String(metadata={"description": "A short, human-readable summary."})
    status = ma.fields.Integer(metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(metadata={"description": "What went wrong this time, in plain words."})
    code = ma.fields.String(metadata={"description": "A stable, machine-readable error code, e.g. `slot_unavailable`."})
    errors = ma.fields.Dict(metadata={"description": "For validation errors: field name -> list of messages."})
    request_id = ma.fields.String(metadata={"description": "Quote this when asking for help."})


def problem_response(status: int, code: str, title: str, detail: str = "", *, errors=None, headers=None, extra=None):
    from flask import current_app, g

    body = {"type": type_uri(code), "title": title, "status": status, "detail": detail or title, "code": code}
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    rid = g.get("request_id") if g else None
    if rid:
        body["request_id"] = rid
    response = current_app.response_class(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_messages(messages) -> dict:
    """webargs nests errors by location ({"json": {...}}); callers want field -> messages."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "headers", "files", "view_args", "path", "cookies"}:
        flat: dict = {}
        for value in messages.values():
            flat.update(value if isinstance(value, dict) else {"_schema": value})
        return flat
    return messages if isinstance(messages, dict) else {"_schema": messages}


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 422 or "messages" in data:
        return respond(problems.VALIDATION_FAILED, "Check the `errors` field for what to fix.",
                       errors=_flatten_messages(data.get("messages") or data.get("errors") or {}), headers=headers)
    if status == 400 and "messages" not in data and "json" in (error.description or "").lower():
        return respond(problems.MALFORMED_JSON, error.description, headers=headers)
    kind = problems.BY_HTTP_STATUS.get(status, problems.HTTP_ERROR)
    detail = data.get("message") or error.description or error.name
    return problem_response(status, kind.code, kind.title if kind is not problems.HTTP_ERROR else error.name,
                            detail, headers=headers)


def respond(kind: ProblemType, detail: str = "", **kwargs):
    """The problem+json answer for a declared code, where raising is not possible (handlers, after_request)."""
    return handle_problem(kind(detail, **kwargs))


def handle_problem(error: Problem):
    return problem_response(error.status, error.code, error.title, error.detail,
                            errors=error.errors, headers=error.headers, extra=error.extra)


def handle_database_unavailable(error: Exception):
    log.error("database unavailable: %s", type(error).__name__)
    return respond(problems.DATABASE_UNAVAILABLE, "Please try again in a moment.", headers={"Retry-After": "5"})


def concurrent_change() -> Problem:
    return problems.CONCURRENT_CHANGE("Another change to the same data happened at the same time. Try again.",
                                      headers={"Retry-After": "1"})


def _rollback() -> None:
    from civic.core.db import session

    session.rollback()


def handle_unexpected(error: Exception):
    import sqlalchemy.exc

    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    if is_disconnect(error):
        return handle_database_unavailable(error)
    if isinstance(error, sqlalchemy.exc.IntegrityError):  # a unique or foreign key raced us during a flush
        _rollback()
        log.warning("conflict on %s %s: %s", request.method, request.path, type(error.orig).__name__)
        return respond(problems.CONFLICT, "The change conflicts with another one. Try again.")
    if is_transient(error):
        _rollback()
        return handle_problem(concurrent_change())
    log.exception("unhandled error on %s %s", request.method, request.path)
    return respond(problems.INTERNAL_ERROR, "Something went wrong on our side. It has been logged.")


def is_disconnect(error: Exception) -> bool:
    import sqlalchemy.exc  # here, not at the top: `civic --help` imports this module and needs no database

    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)) and \
        any(word in str(error).lower() for word in ("connection", "server closed", "terminat", "could not connect", "unable to open"))


TRANSIENT_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure


def is_transient(error: Exception) -> bool:
    """A failure that running the same transaction again would most likely not meet."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in TRANSIENT_SQLSTATES


def init_app(app) -> None:
    app.register_error_handler(Problem, handle_problem)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


from civic.core import problems  # noqa: E402  (the core's codes are declared with `declare` above)
