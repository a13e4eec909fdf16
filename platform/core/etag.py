"""Optimistic concurrency: a strong ETag for each stored version of a resource, and `If-Match` checks.

The tag is derived from the row's id and `updated_at` (microseconds), which every change moves, so
it needs no extra column. It is strong (RFC 9110 section 8.8.1): `If-Match` compares strongly, so a
weak tag would never match. `If-Match` is optional; when sent it is checked after the row is locked,
so of two changes made from the same version, one wins and the other gets a 412.
"""
import datetime as dt
import hashlib

from flask import request

from civic.core import problems

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def tag(obj) -> str:
    """The quoted, strong entity tag of this version of `obj`."""
    micros = (obj.updated_at - EPOCH) // dt.timedelta(microseconds=1)
    return '"' + hashlib.sha256(f"{obj.id}:{micros}".encode()).hexdigest()[:32] + '"'


def tagged(obj, status: int | None = None):
    """A view's return value: `obj` with its ETag header (flask-smorest unpacks the tuple)."""
    return (obj, status, {"ETag": tag(obj)}) if status else (obj, {"ETag": tag(obj)})


def if_match() -> str | None:
    """The request's If-Match header, for the route to pass on (None when not sent)."""
    return request.headers.get("If-Match")


def check(obj, if_match: str | None) -> None:
    """Raise a 412 `precondition_failed` unless `if_match` is absent, `*`, or names `obj`'s current tag."""
    if if_match is None:
        return
    given = [part.strip() for part in if_match.split(",")]
    current = tag(obj)
    if "*" in given or current in given:  # strong comparison: a W/ tag is never equal
        return
    raise problems.PRECONDITION_FAILED(
                  "The resource changed since you read it: read it again, then send your change with its new ETag.", headers={"ETag": current})


# For `@blp.doc(**etag.IF_MATCH_DOC)` on each method that honours If-Match.
IF_MATCH_DOC = {"parameters": [{
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "Optional: the ETag you read. If the resource changed since, nothing changes and the answer "
                   "is a 412 `precondition_failed`."}]}
