"""Fields every resource shares (id, times, reference, metadata) and the rules every body and query obeys."""
import datetime as dt

import marshmallow as ma

METADATA_MAX_KEYS = 15
# Dates outside these years are refused: none is meaningful here, and date arithmetic near year 1 or 9999 overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def check_metadata(value: dict) -> None:
    """The caller's own metadata: at most 15 string keys and values of bounded length."""
    if len(value) > METADATA_MAX_KEYS:
        raise ma.ValidationError(f"At most {METADATA_MAX_KEYS} keys.")
    for key, item in value.items():
        if len(key) > 30 or not isinstance(item, str) or len(item) > 100:
            raise ma.ValidationError("Keys up to 30 characters, values strings up to 100 characters.")


def out_of_range(value) -> bool:
    """Whether a date or datetime (or any in a list) falls outside the years every schema accepts."""
    if isinstance(value, (list, tuple)):
        return any(out_of_range(item) for item in value)
    return isinstance(value, dt.date) and not FIRST_YEAR <= value.year <= LAST_YEAR


class CoreSchema(ma.Schema):
    """Base of every schema below: the rules hold for every field, whatever the component declares.

    - A partial load (a PATCH) leaves out top-level fields only: a nested object that is sent is loaded
      whole, so its required fields stay required (marshmallow would otherwise pass `partial` down).
    - Every date and datetime is between the years FIRST_YEAR and LAST_YEAR (a 422 naming the field).
    """

    def _deserialize(self, data, *, error_store, many=False, partial=None, unknown=ma.RAISE, index=None):
        if partial is True:
            partial = tuple(self.load_fields)  # each nested field then gets an empty partial: loaded whole
        result = super()._deserialize(data, error_store=error_store, many=many, partial=partial, unknown=unknown,
                                      index=index)
        if not many and isinstance(result, dict):
            self._check_dates(result, error_store, index if self.opts.index_errors else None)
        return result

    def _check_dates(self, result: dict, error_store, index) -> None:
        for name, field in self.load_fields.items():
            key = field.attribute or name
            if key in result and out_of_range(result[key]):
                del result[key]  # so that no later validator does arithmetic on it
                error_store.store_error([f"Use a date between the years {FIRST_YEAR} and {LAST_YEAR}."],
                                        field.data_key or name, index=index)


class ResourceSchema(CoreSchema):
    """Base for every resource: unknown or read-only fields in a body are rejected."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    id = ma.fields.UUID(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True, format="iso")
    updated_at = ma.fields.AwareDateTime(dump_only=True, format="iso")
    reference = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255),
                                 metadata={"description": "Your own reference, to match this record to your systems."})
    # Models name the column `metadata_` (SQLAlchemy reserves `metadata`); callers see `metadata`.
    metadata_ = ma.fields.Dict(data_key="metadata", keys=ma.fields.String(), values=ma.fields.String(), load_default=dict,
                              validate=check_metadata,
                              metadata={"description": "Up to 15 string key-value pairs of your own."})


class StrictSchema(CoreSchema):
    """For bodies and queries that are not resources: unknown fields are rejected."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


def _installed(link_type: str) -> None:
    """A link's component part names a component this platform runs (switched off for a tenant is fine: it is an id)."""
    from flask import current_app, has_app_context

    from civic.config import ALL_COMPONENTS

    installed = current_app.config["COMPONENTS"] if has_app_context() else ALL_COMPONENTS
    component = link_type.split(".", 1)[0]
    if component not in installed:
        raise ma.ValidationError(f"No component called {component!r} runs here; use one of: {', '.join(sorted(installed))}.")


class LinkSchema(StrictSchema):
    """Another component's record, by id: `type` says which kind of record (`component.record`), `id` which one.

    Nothing checks that the record exists (components do not read each other's tables); the component must be
    one this platform runs. The same shape everywhere: a message about a booking, a payment for a booking hold,
    a case opened from a pothole report."""

    class Meta(StrictSchema.Meta):
        example = {"type": "booking.hold", "id": "2b6f0cf4-7a2e-4d4b-9f59-1f1f7a1f0a11"}

    type = ma.fields.String(required=True, validate=[
        ma.validate.Length(3, 60),
        ma.validate.Regexp(r"^[a-z]+\.[a-z_]+$", error="component.record, e.g. booking.hold or reporting.report."),
        _installed], metadata={"description": "`component.record`: booking.hold, booking.booking, reporting.report, "
                                              "casework.case, payments.payment, ...", "example": "booking.hold"})
    id = ma.fields.UUID(required=True, metadata={"description": "The record's id.",
                                                 "example": "2b6f0cf4-7a2e-4d4b-9f59-1f1f7a1f0a11"})
