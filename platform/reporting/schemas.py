"""Reporting schemas: what the staff API takes and gives, with the examples the API documentation shows."""
import marshmallow as ma

from civic.core.pagination import PageQuerySchema
from civic.core.schemas import ResourceSchema, StrictSchema
from civic.reporting.attributes import DESCRIPTION_MAX
from civic.reporting.models import CLOSING_REASONS, DATATYPES, STATUSES
from civic.reporting.service import MEDIA_SCHEMES, MEDIA_URL_MAX

CODE = ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,50}$", error="Letters, digits, '-' and '_' only (up to 50).")

# --- examples: the demo council's roads (a new blocked-drain category; a pothole on Mill Lane) ------------
WHEN, LATER = "2026-11-02T08:40:00+00:00", "2026-11-03T11:05:00+00:00"
CATEGORY_ID, REPORT_ID, UPDATE_ID, TRANSFER_ID = (
    "2f6d8b1a-4c3e-4a7f-9b2d-8e1c5a7f3d90", "9b4e2c7a-1d8f-4e3b-a6c5-0f7d2b9e4a18",
    "6e1a9c3f-7b2d-4f8e-9a0c-3d5b8e2f1a74", "d8c3a5e1-2f9b-4d7c-8e6a-1b4f7c0e9d25")
YES_NO = [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}]
CATEGORY = {"id": CATEGORY_ID, "created_at": WHEN, "updated_at": WHEN, "reference": None, "metadata": {},
            "code": "blocked-drain", "name": "Blocked drain or gully", "description": "A road drain that is blocked "
            "or overflowing.", "group": "Roads", "keywords": ["drain", "gully", "flooding"], "public": True,
            "active": True, "lgsl_code": "1123",
            "attributes": [{"code": "flooding", "datatype": "singlevaluelist", "required": True, "variable": True,
                            "order": 1, "description": "Is the road flooding?", "datatype_description": None,
                            "values": YES_NO}]}
REPORT = {"id": REPORT_ID, "created_at": WHEN, "updated_at": WHEN, "reference": "CRM-104233",
          "metadata": {"channel": "phone"}, "category": "pothole", "status": "open", "closing_reason": None,
          "description": "Deep pothole in the cycle lane outside the primary school.", "lat": 51.4552,
          "long": -2.5891, "address": "14 Mill Lane, Riverside", "uprn": None, "usrn": "11504321",
          "attributes": {"depth": "deep"}, "reporter": {"name": "Priya Shah", "email": "priya.shah@example.com",
                                                        "phone": None},
          "media_url": "https://photos.example.org/mill-lane-pothole.jpg", "token": "5f1c9a2e7b3d8e40",
          "source": "api", "transferred_from_tenant_id": None}


def moment(**options) -> ma.fields.AwareDateTime:
    """A query's date-time: with a time zone, ISO 8601 (the core schemas bound its year)."""
    return ma.fields.AwareDateTime(load_default=None, format="iso", **options)


class AttributeValueSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = YES_NO[0]

    key = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))


class AttributeSchema(StrictSchema):
    """An extra question asked for a category (an Open311 attribute)."""

    class Meta(StrictSchema.Meta):
        example = CATEGORY["attributes"][0]

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
    class Meta(ResourceSchema.Meta):
        example = CATEGORY

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
        example = {"keywords": ["drain", "gully", "flooding", "grate"], "description": "A road drain or gully "
                   "that is blocked, smells or is overflowing."}

    def __init__(self, *args, **kwargs):
        # Only the category's own fields are optional: an attribute sent must still be whole.
        super().__init__(*args, partial=tuple(CategorySchema._declared_fields), **kwargs)


class CategoryQuerySchema(PageQuerySchema):
    pass


class ReporterSchema(StrictSchema):
    """The person who reported it. Personal data: never shown publicly."""

    class Meta(StrictSchema.Meta):
        example = REPORT["reporter"]

    name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    email = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=320))
    phone = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40))


class ReportSchema(ResourceSchema):
    class Meta(ResourceSchema.Meta):
        example = REPORT

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
    class Meta(StrictSchema.Meta):
        example = {"status": "in_progress", "closing_reason": None,
                   "note": "A repair crew is booked for Thursday morning.", "public": True}

    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    closing_reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(CLOSING_REASONS),
                                      metadata={"description": "When closing: fixed, duplicate, not_responsible or referred."})
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=DESCRIPTION_MAX),
                            metadata={"description": "A note: staff-only unless `public` is true."})
    public = ma.fields.Boolean(load_default=False, metadata={
        "description": "Publish the note (Open311 shows it to the citizen). The status change is always public."})


class UpdateSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"id": UPDATE_ID, "created_at": LATER, "from_status": "open", "status": "in_progress",
                   "closing_reason": None, "note": "A repair crew is booked for Thursday morning.", "public": True,
                   "actor": "client:cl_Vt3kQ9xYp2LmN8aRw4sJ1g"}

    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime(format="iso")
    from_status = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    closing_reason = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    public = ma.fields.Boolean()
    actor = ma.fields.String()


class TransferCreateSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"tenant": "riverside-homes", "category": "communal-repair",
                   "note": "The pothole is on the estate's own road, which Riverside Homes maintains."}

    tenant = ma.fields.String(required=True, metadata={"description": "The slug of the organisation that owns it."})
    category = ma.fields.String(required=True, validate=CODE, metadata={"description": "Their category's code."})
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class TransferSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"id": TRANSFER_ID, "created_at": LATER, "report_id": REPORT_ID,
                   "to_tenant_id": "1c7e4a9b-3d2f-4b8e-a5c6-9f0d2e7b4a31", "from_category_code": "pothole",
                   "to_category_code": "communal-repair",
                   "note": "The pothole is on the estate's own road, which Riverside Homes maintains.",
                   "snapshot": {"category": "pothole", "status": "open", "address": "14 Mill Lane, Riverside"}}

    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime(format="iso")
    report_id = ma.fields.UUID()
    to_tenant_id = ma.fields.UUID()
    from_category_code = ma.fields.String()
    to_category_code = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    snapshot = ma.fields.Dict()
