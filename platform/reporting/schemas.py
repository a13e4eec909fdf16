"""Reporting schemas: what the staff API takes and gives."""
import marshmallow as ma

from civic.core.pagination import PageQuerySchema
from civic.core.schemas import ResourceSchema, StrictSchema
from civic.reporting.attributes import DESCRIPTION_MAX
from civic.reporting.models import CLOSING_REASONS, DATATYPES, STATUSES
from civic.reporting.service import MEDIA_SCHEMES, MEDIA_URL_MAX

CODE = ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,50}$", error="Letters, digits, '-' and '_' only (up to 50).")


def moment(**options) -> ma.fields.AwareDateTime:
    """A query's date-time: with a time zone, ISO 8601 (the core schemas bound its year)."""
    return ma.fields.AwareDateTime(load_default=None, format="iso", **options)


class AttributeValueSchema(StrictSchema):
    key = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))


class AttributeSchema(StrictSchema):
    """An extra question asked for a category (an Open311 attribute)."""

    code = ma.fields.String(required=True, validate=CODE)
    datatype = ma.fields.String(required=True, validate=ma.validate.OneOf(DATATYPES))
    required = ma.fields.Boolean(load_default=False)
    variable = ma.fields.Boolean(load_default=True, metadata={"description": "False: shown to the citizen only, no answer taken."})
    order = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1))
    description = ma.fields.String(required=True, validate=ma.validate.Length(1, 1000))
    datatype_description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    values = ma.fields.List(ma.fields.Nested(AttributeValueSchema), load_default=list)

    @ma.validates_schema
    def _lists_need_values(self, data, **_):
        is_list = data["datatype"] in ("singlevaluelist", "multivaluelist")
        if is_list and not data.get("values"):
            raise ma.ValidationError("A list needs at least one value.", "values")
        if not is_list and data.get("values"):
            raise ma.ValidationError("Only singlevaluelist and multivaluelist take values.", "values")


def _unique_attributes(attributes: list) -> None:
    codes = [a["code"] for a in attributes]
    if len(codes) != len(set(codes)):
        raise ma.ValidationError("Attribute codes must be unique.")


class CategorySchema(ResourceSchema):
    code = ma.fields.String(required=True, validate=CODE,
                            metadata={"description": "Short code, unique in your organisation, e.g. `pothole`."})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))
    group = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    keywords = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 50)), load_default=list)
    public = ma.fields.Boolean(load_default=True, metadata={
        "description": "Listed on the public Open311 endpoint and its reports shown there. "
                       "Set false for sensitive needs (someone needs help)."})
    active = ma.fields.Boolean(load_default=True, metadata={"description": "False: no new reports accepted."})
    lgsl_code = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20), metadata={
        "description": "Local Government Service List code, so the same need compares across organisations."})
    attributes = ma.fields.List(ma.fields.Nested(AttributeSchema), load_default=list, validate=_unique_attributes)


class CategoryUpdateSchema(CategorySchema):
    class Meta(CategorySchema.Meta):
        exclude = ("code",)

    def __init__(self, *args, **kwargs):
        # Only the category's own fields are optional: an attribute sent must still be whole.
        super().__init__(*args, partial=tuple(CategorySchema._declared_fields), **kwargs)


class CategoryQuerySchema(PageQuerySchema):
    pass


class ReporterSchema(StrictSchema):
    """The person who reported it. Personal data: never shown publicly."""

    name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    email = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=320))
    phone = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40))


class ReportSchema(ResourceSchema):
    category = ma.fields.String(required=True, validate=CODE, attribute="category_code",
                                metadata={"description": "The category's code."})
    status = ma.fields.String(dump_only=True, metadata={"description": "open, acknowledged, in_progress or closed."})
    closing_reason = ma.fields.String(dump_only=True, allow_none=True)
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=DESCRIPTION_MAX))
    lat = ma.fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=ma.validate.Range(-90, 90),
                          metadata={"description": "Latitude (WGS84)."})
    long = ma.fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=ma.validate.Range(-180, 180),
                           metadata={"description": "Longitude (WGS84)."})
    address = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    uprn = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Regexp(r"^\d{1,12}$"),
                            metadata={"description": "Unique Property Reference Number."})
    usrn = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Regexp(r"^\d{1,8}$"),
                            metadata={"description": "Unique Street Reference Number."})
    attributes = ma.fields.Dict(keys=ma.fields.String(), load_default=dict, attribute="answers",
                                metadata={"description": "Answers to the category's questions, by attribute code."})
    reporter = ma.fields.Nested(ReporterSchema, load_default=None, allow_none=True)
    media_url = ma.fields.Url(load_default=None, allow_none=True, schemes=set(MEDIA_SCHEMES),
                              validate=ma.validate.Length(max=MEDIA_URL_MAX),
                              metadata={"description": "A link to a photo: http or https only."})
    token = ma.fields.String(dump_only=True, metadata={"description": "The Open311 token of this report."})
    source = ma.fields.String(dump_only=True)
    transferred_from_tenant_id = ma.fields.UUID(dump_only=True, allow_none=True)


class ReportFilterSchema(StrictSchema):
    category = ma.fields.String(load_default=None, validate=CODE)
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))
    created_after = moment()
    created_before = moment()


class ReportQuerySchema(ReportFilterSchema, PageQuerySchema):
    bbox = ma.fields.String(load_default=None, metadata={
        "description": "Only reports inside this box: `min_long,min_lat,max_long,max_lat`."})
    near = ma.fields.String(load_default=None, metadata={"description": "Only reports near a point: `lat,long`."})
    radius = ma.fields.Integer(load_default=500, validate=ma.validate.Range(1, 50_000),
                               metadata={"description": "Metres around `near` (default 500)."})


class ExportQuerySchema(ReportFilterSchema):
    include_personal_data = ma.fields.Boolean(load_default=False, metadata={
        "description": "Add the reporter's name, email and phone (recorded in the audit log)."})


class StatusChangeSchema(StrictSchema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    closing_reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(CLOSING_REASONS),
                                      metadata={"description": "When closing: fixed, duplicate, not_responsible or referred."})
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=DESCRIPTION_MAX),
                            metadata={"description": "A note: staff-only unless `public` is true."})
    public = ma.fields.Boolean(load_default=False, metadata={
        "description": "Publish the note (Open311 shows it to the citizen). The status change is always public."})


class UpdateSchema(ma.Schema):
    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime(format="iso")
    from_status = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    closing_reason = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    public = ma.fields.Boolean()
    actor = ma.fields.String()


class TransferCreateSchema(StrictSchema):
    tenant = ma.fields.String(required=True, metadata={"description": "The slug of the organisation that owns it."})
    category = ma.fields.String(required=True, validate=CODE, metadata={"description": "Their category's code."})
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class TransferSchema(ma.Schema):
    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime(format="iso")
    report_id = ma.fields.UUID()
    to_tenant_id = ma.fields.UUID()
    from_category_code = ma.fields.String()
    to_category_code = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    snapshot = ma.fields.Dict()
