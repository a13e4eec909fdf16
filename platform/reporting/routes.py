"""Staff API under /v1/reporting: categories, reports, status changes, transfers, CSV export."""
from flask.views import MethodView
from flask_smorest import Blueprint

from civic.core import etag
from civic.core.auth import current_principal, current_tenant_id, require
from civic.core.formats import csv_response
from civic.core.pagination import PageQuerySchema, page_schema
from civic.reporting import schemas, service

blp = Blueprint("reporting", __name__, url_prefix="/v1/reporting",
                description="Reports of problems and needs from the public, and the categories your organisation "
                            "handles. Scopes `reporting:read` and `reporting:write`.")
READ, WRITE = "reporting:read", "reporting:write"


# --- categories --------------------------------------------------------------
@blp.route("/categories")
class Categories(MethodView):
    @require(READ)
    @blp.arguments(schemas.CategoryQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.CategorySchema))
    def get(self, query):
        """List the categories of report your organisation handles.

        Inactive and private categories included; public ones are also listed on Open311.
        Errors: `invalid_cursor`."""
        return service.list_categories(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.CategorySchema)
    @blp.response(201, schemas.CategorySchema)
    def post(self, data):
        """Add a category people can report, with any extra questions to ask them.

        A public category is listed on the Open311 endpoint at once (FixMyStreet picks it up). Categories are
        live configuration: a sandbox client may read them but not change them.
        Errors: `category_exists`, `sandbox_read_only`."""
        return etag.tagged(service.create_category(tenant_id=current_tenant_id(), **data), 201)


@blp.route("/categories/<code>")
class CategoryByCode(MethodView):
    @require(READ)
    @blp.response(200, schemas.CategorySchema)
    def get(self, code):
        """One of your categories, by its code.

        With its `ETag` header, to send as `If-Match` when you change it."""
        return etag.tagged(service.get_category(tenant_id=current_tenant_id(), code=code))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.CategoryUpdateSchema)
    @blp.response(200, schemas.CategorySchema)
    def patch(self, data, code):
        """Change a category: its name, questions, whether it is public or still taking reports.

        Send `If-Match` with the ETag you read to change it only if no one else has since. Reports already made
        keep their answers. Errors: `precondition_failed`, `sandbox_read_only`."""
        return etag.tagged(service.update_category(tenant_id=current_tenant_id(), code=code,
                                                   if_match=etag.if_match(), **data))

    @require(WRITE)
    @blp.response(204)
    def delete(self, code):
        """Delete a category that has no reports (otherwise set it inactive).

        Errors: `category_in_use`, `sandbox_read_only`."""
        service.delete_category(tenant_id=current_tenant_id(), code=code)


# --- reports -------------------------------------------------------------------
@blp.route("/reports")
class Reports(MethodView):
    @require(READ)
    @blp.arguments(schemas.ReportQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.ReportSchema))
    def get(self, query):
        """List reports, newest last; filter by category, status, dates, a map box or a point.

        `bbox` is `min_long,min_lat,max_long,max_lat`; `near` is `lat,long` with `radius` in metres.
        Reporters' contact details are in the answer: the read is audited. Errors: `invalid_cursor`."""
        return service.list_reports(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.ReportSchema)
    @blp.response(201, schemas.ReportSchema)
    def post(self, data):
        """Record a report someone made to you (by phone, at the desk, or from your own form).

        Sends `civic.reporting.report_created`; the report counts towards insight and open data the next
        night. Errors: `unknown_category`, `category_unavailable`, `missing_attribute`, `invalid_attribute`,
        `invalid_reporter`, `invalid_media_url`, `location_required`, `location_incomplete`,
        `location_out_of_range`, `description_too_long`."""
        principal = current_principal()
        return etag.tagged(service.create_report(tenant_id=principal.tenant_id, source=f"api:{principal.client_id}",
                                                 **data), 201)


@blp.route("/reports/<report_id>")
class ReportById(MethodView):
    @require(READ)
    @blp.response(200, schemas.ReportSchema)
    def get(self, report_id):
        """One report, with the reporter's contact details (your reading them is recorded).

        With its `ETag` header, to send as `If-Match` with a status change."""
        return etag.tagged(service.read_report(tenant_id=current_tenant_id(), report_id=report_id))


@blp.route("/reports/<report_id>/status")
class ReportStatus(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.StatusChangeSchema)
    @blp.response(200, schemas.ReportSchema)
    def post(self, data, report_id):
        """Change a report's status (closing it with a reason), with a note: staff-only unless `public`.

        Send `If-Match` with the report's ETag to change it only if no one else has since. Sends
        `civic.reporting.status_changed`; a public note is shown to the citizen on Open311 and FixMyStreet.
        Errors: `precondition_failed`, `closing_reason_not_allowed`, `nothing_to_change`."""
        return etag.tagged(service.change_status(tenant_id=current_tenant_id(), report_id=report_id,
                                                 if_match=etag.if_match(), **data))


@blp.route("/reports/<report_id>/updates")
class ReportUpdates(MethodView):
    @require(READ)
    @blp.response(200, schemas.UpdateSchema(many=True))
    def get(self, report_id):
        """A report's history: every status change and note (public or staff-only), oldest first.

        Each entry says who made it (`actor`)."""
        return service.list_updates(tenant_id=current_tenant_id(), report_id=report_id)


@blp.route("/reports/<report_id>/transfer")
class ReportTransfer(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.TransferCreateSchema)
    @blp.response(201, schemas.TransferSchema)
    def post(self, data, report_id):
        """Pass a report to the organisation responsible. They get it; you keep a read-only record.

        Sends `civic.reporting.transferred` to the receiving organisation. The report and its history move;
        you keep a snapshot under /v1/reporting/transfers. Errors: `unknown_tenant`, `same_tenant`,
        `unknown_category`, `category_unavailable`."""
        return service.transfer_report(tenant_id=current_tenant_id(), report_id=report_id, to_tenant=data["tenant"],
                                       category_code=data["category"], note=data["note"])


@blp.route("/transfers")
class Transfers(MethodView):
    @require(READ)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.TransferSchema))
    def get(self, query):
        """Reports you passed on to other organisations (read-only records).

        Newest first, a page at a time. Errors: `invalid_cursor`."""
        return service.list_transfers(tenant_id=current_tenant_id(), **query)


@blp.route("/transfers/<transfer_id>")
class TransferById(MethodView):
    @require(READ)
    @blp.response(200, schemas.TransferSchema)
    def get(self, transfer_id):
        """One report you passed on, as it was when it left you.

        The snapshot holds no reporter contact details."""
        return service.get_transfer(tenant_id=current_tenant_id(), transfer_id=transfer_id)


EXPORT_COLUMNS = ["id", "created_at", "updated_at", "category", "status", "closing_reason", "description", "lat",
                  "long", "address", "uprn", "usrn", "media_url", "reference", "source"]
PERSONAL_COLUMNS = ["reporter_name", "reporter_email", "reporter_phone"]


@blp.route("/reports.csv")
class ReportsExport(MethodView):
    @require(READ)
    @blp.arguments(schemas.ExportQuerySchema, location="query")
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, query):
        """Download your reports as a spreadsheet (CSV). Contact details only if you ask for them.

        Cells a spreadsheet would run as a formula are made safe. With `include_personal_data`, the export
        and the ids it held are recorded in the audit log."""
        personal = query["include_personal_data"]
        reports = service.export_reports(tenant_id=current_tenant_id(), **query)
        columns = EXPORT_COLUMNS + (PERSONAL_COLUMNS if personal else [])
        rows = ([r.category.code if c == "category" else getattr(r, c) for c in columns] for r in reports)
        return csv_response(columns, rows, "reports.csv")
