"""Cursor pagination: `?limit=` (1-100, default 20) `&after=<cursor>` -> `{"items", "next"}`.

Cursors are opaque to callers: the (created_at, id) of the last item, so pages
stay stable while new records arrive.
"""
import base64
import datetime as dt
import json
import uuid

import marshmallow as ma
import sqlalchemy as sa

from civic.core.db import session
from civic.core import problems


class PageQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(1, 100),
                              metadata={"description": "How many items per page (1-100)."})
    after = ma.fields.String(load_default=None, metadata={"description": "The `next` cursor of the previous page."})


def page_schema(item_schema) -> type[ma.Schema]:
    """A `{"items": [...], "next": cursor|null}` schema around `item_schema`."""
    name = (item_schema.__name__ if isinstance(item_schema, type) else type(item_schema).__name__).removesuffix("Schema")
    return type(f"{name}PageSchema", (ma.Schema,), {
        "item_schema": item_schema,  # its example is one item's (civic.core.openapi)
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next": ma.fields.String(allow_none=True, metadata={"description": "Pass as `after` to get the next page; null on the last page."}),
    })


def encode_cursor(created_at: dt.datetime, object_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(object_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, oid = json.loads(raw)
        created = dt.datetime.fromisoformat(created)
        if created.tzinfo is None:  # we only ever write aware times; a naive one was made up
            raise ValueError("cursor time without an offset")
        return created.astimezone(dt.timezone.utc), uuid.UUID(oid)  # year 1 at +05:00 overflows here, not in SQL
    except (ValueError, TypeError, AttributeError, OverflowError):  # AttributeError: an id that is not text
        raise problems.INVALID_CURSOR("The `after` cursor is not one we gave you.",
                      errors={"after": ["Not a valid cursor."]}) from None


def paginate(query: sa.Select, model, *, limit: int = 20, after: str | None = None, sort=None) -> dict:
    """Run `query` one page at a time, oldest first; or by `sort`, another non-null datetime column
    (such as a due date), then id."""
    column = model.created_at if sort is None else sort
    query = query.order_by(column, model.id)
    if after:
        created, oid = decode_cursor(after)
        query = query.where(sa.tuple_(column, model.id) > sa.tuple_(
            sa.literal(created, column.type), sa.literal(oid, model.id.type)))
    rows = list(session.scalars(query.limit(limit + 1)))
    items, more = rows[:limit], len(rows) > limit
    last = items[-1] if more else None
    return {"items": items, "next": encode_cursor(getattr(last, column.key), last.id) if more else None}
