"""Fields every resource shares: id, times, and the caller's own reference and metadata."""
import marshmallow as ma

METADATA_MAX_KEYS = 15


def _check_metadata(value: dict) -> None:
    if len(value) > METADATA_MAX_KEYS:
        raise ma.ValidationError(f"At most {METADATA_MAX_KEYS} keys.")
    for key, item in value.items():
        if len(key) > 30 or not isinstance(item, str) or len(item) > 100:
            raise ma.ValidationError("Keys up to 30 characters, values strings up to 100 characters.")


class ResourceSchema(ma.Schema):
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
                              validate=_check_metadata,
                              metadata={"description": "Up to 15 string key-value pairs of your own."})


class StrictSchema(ma.Schema):
    """For bodies and queries that are not resources: unknown fields are rejected."""

    class Meta:
        unknown = ma.RAISE
        ordered = True
