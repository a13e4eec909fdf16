"""The privacy API under /v1/privacy: HTTP only, one service call per method."""
from civic.core import etag
from civic.core.auth import current_principal, current_tenant_id, public, require
from civic.core.pagination import page_schema
from civic.privacy import consent, erasure, retention, schemas, service, transparency
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

GUIDE = """Find everything your organisation holds about a person, and answer their subject access request
within the statutory month.

1. `POST /v1/privacy/searches` with what you know of the person (email, phone, NHS number, name with date
   of birth, postcode): every record of every component your organisation uses that holds them, with
   which identifier matched which field. Identifiers travel in the body, never in a URL. A postcode
   names an address: its matches are listed (`personal: false`) for you to judge, never exported.
2. `POST /v1/privacy/requests` records a request received (`received_on`, default today). Its `due_on`
   is one calendar month on (the same date, or the month's last day), moved to the next working day
   past weekends and bank holidays. `.../transition` moves it: `awaiting_id` stops the clock until
   `in_progress` (the days paused are added), `extended` adds one or two months (within the first month,
   with the reason you tell the person), then `completed` or `refused`.
3. `GET /v1/privacy/requests/{id}/export` is the answer: everything held, machine-readable, with who
   accessed those records; `.../export.html` is the same as a page to print.
4. `POST /v1/privacy/erasures` erases the person everywhere (refused, with reasons, while a case about them
   is open); `POST /v1/privacy/rectifications` corrects their identifiers everywhere.
5. `GET /v1/privacy/retention` lists how long each kind of personal data is kept and from when (each
   component's default); `PUT` sets your own periods; `POST .../retention/dry-run` shows what would be
   cleared now; every hour the platform clears it and records the run (`GET .../retention/runs`).
6. `GET /v1/privacy/transparency/{slug}` (and `.html`) is your public privacy notice, made from what the
   platform holds for you: anyone may read it. A steward reads the place's record of processing
   activities at `GET /v1/privacy/processing-record`.
7. `POST /v1/privacy/consents` records a person's consent to a purpose (how, when, to what, which notice
   they saw); `.../withdraw` records its withdrawal, and Notify messages for that purpose stop;
   `.../receipt` is the record as a consent receipt (the Kantara shape). A referral on a consent basis
   is refused once the register holds the person's `referral` consent withdrawn or expired.

Only tenant admins (a signed-in person) or apps holding the scope may call these; every search, read and
export is in the audit log (ids only). Errors carry a stable `code`: `privacy_admin_required`,
`identifiers_missing`, `request_transition_not_allowed`, `extension_too_late`, `request_date_invalid`,
`request_not_ready`, `erasure_held`, `precondition_failed`, `retention_class_unknown`, `consent_date_invalid`."""

blp = Blueprint("privacy", __name__, url_prefix="/v1/privacy", description=GUIDE)
public_blp = Blueprint("privacy-public", __name__, url_prefix="/v1/privacy", description=(
    "Each organisation's privacy notice, for anyone: what it holds about people, why, on which lawful basis, "
    "for how long and who it shares it with, made from what the platform actually holds. No token."))
READ, WRITE = "privacy:read", "privacy:write"
HTML_DOC = {"responses": {"200": {"description": "An HTML page that prints well.",
                                  "content": {"text/html": {"schema": {"type": "string"}}}}}}


@blp.route("/searches")
class Searches(MethodView):
    @require(READ)
    @blp.arguments(schemas.IdentifiersSchema)
    @blp.response(200, schemas.SearchResultSchema)
    def post(self, data):
        """Find every record held about a person, with why each matched.

        Needs `privacy:read`; a signed-in person must be a tenant admin. Searches every enabled component
        of your organisation; stores nothing but an audit entry (who searched, by which kinds of
        identifier, the ids found). Errors: `identifiers_missing`, `privacy_admin_required`."""
        return service.search(tenant_id=current_tenant_id(), principal=current_principal(), **data)


@blp.route("/requests")
class Requests(MethodView):
    @require(READ)
    @blp.arguments(schemas.AccessRequestQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.AccessRequestSchema))
    def get(self, query):
        """List subject requests, oldest first (filter by `state` or `kind`: access, erasure, rectification).

        Needs `privacy:read`; a signed-in person must be a tenant admin. Each request shown is in the
        audit log. Errors: `invalid_cursor`, `privacy_admin_required`."""
        return service.list_requests(tenant_id=current_tenant_id(), principal=current_principal(), **query)

    @require(WRITE)
    @blp.arguments(schemas.AccessRequestSchema)
    @blp.response(201, schemas.AccessRequestSchema)
    def post(self, data):
        """Record a subject access request received; its statutory clock starts.

        Needs `privacy:write`; a signed-in person must be a tenant admin. The subject's identifiers are
        kept encrypted. Next: `.../transition` to `awaiting_id` or `in_progress`, then the export.
        Errors: `identifiers_missing`, `request_date_invalid`, `privacy_admin_required`."""
        return etag.tagged(service.create_request(tenant_id=current_tenant_id(), principal=current_principal(),
                                                  **data), 201)


@blp.route("/requests/<request_id>")
class RequestById(MethodView):
    @require(READ)
    @blp.response(200, schemas.AccessRequestSchema)
    def get(self, request_id):
        """One subject access request, with its deadline, state and history.

        Needs `privacy:read`; a signed-in person must be a tenant admin. Read in the audit log.
        Errors: `not_found`, `privacy_admin_required`."""
        return etag.tagged(service.get_request(tenant_id=current_tenant_id(), principal=current_principal(),
                                               request_id=request_id))


@blp.route("/requests/<request_id>/transition")
class RequestTransition(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.RequestTransitionSchema)
    @blp.response(200, schemas.AccessRequestSchema)
    def post(self, data, request_id):
        """Move a request on: wait for identification, resume, extend, complete or refuse.

        Needs `privacy:write`; a signed-in person must be a tenant admin, recorded as its handler.
        `awaiting_id` stops the clock; `in_progress` after it adds the days paused to `due_on`;
        `extended` (within the first month) adds `extension_months`. Errors: `request_transition_not_allowed`,
        `extension_too_late`, `request_date_invalid`, `precondition_failed`, `not_found`, `privacy_admin_required`."""
        return etag.tagged(service.transition(tenant_id=current_tenant_id(), principal=current_principal(),
                                              request_id=request_id, if_match=etag.if_match(), **data))


@blp.route("/requests/<request_id>/export")
class RequestExport(MethodView):
    @require(WRITE)
    @blp.response(200, schemas.ExportSchema)
    def get(self, request_id):
        """Everything your organisation holds about the request's subject, as JSON, and who accessed it.

        Needs `privacy:write`; a signed-in person must be a tenant admin. Each enabled component's
        records found by the subject's email, phone, NHS number or name with date of birth, and the audit
        entries about them. Recorded in the audit log (the ids sent). Errors: `request_not_ready`,
        `not_found`, `privacy_admin_required`."""
        return service.export(tenant_id=current_tenant_id(), principal=current_principal(), request_id=request_id)


@blp.route("/requests/<request_id>/export.html")
class RequestExportPage(MethodView):
    @require(WRITE)
    @blp.doc(**HTML_DOC)
    def get(self, request_id):
        """The same export as a page to print or send to the person.

        Needs `privacy:write`; a signed-in person must be a tenant admin. Every value is escaped; the page
        runs no script. Recorded in the audit log. Errors: `request_not_ready`, `not_found`,
        `privacy_admin_required`."""
        body = service.export_page(tenant_id=current_tenant_id(), principal=current_principal(), request_id=request_id)
        return Response(body, mimetype="text/html", headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


# --- erasure and rectification ---------------------------------------------------------------
@blp.route("/erasures")
class Erasures(MethodView):
    @require(READ)
    @blp.arguments(schemas.ErasureQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.ErasureSchema))
    def get(self, query):
        """List the erasures made, oldest first (counts, never who).

        Needs `privacy:read`; a signed-in person must be a tenant admin. Errors: `invalid_cursor`,
        `privacy_admin_required`."""
        return erasure.list_erasures(tenant_id=current_tenant_id(), principal=current_principal(), **query)

    @require(WRITE)
    @blp.arguments(schemas.ErasureSchema)
    @blp.response(201, schemas.ErasureSchema)
    def post(self, data):
        """Erase a person's data everywhere your organisation holds it (the right to erasure).

        Needs `privacy:write`; a signed-in person must be a tenant admin. Every component's records about
        the person lose their personal details (bookings, payments' amounts, cases and delivery records
        stay, without them), in every component, even one switched off. Refused, with the reasons and
        nothing erased, while a component must keep the data (an open case). Recorded under a pseudonymous
        subject id; the organisations that received the data by referral are told (event
        `civic.privacy.subject_erased`). Errors: `erasure_held`, `identifiers_missing`, `validation_failed`,
        `privacy_admin_required`."""
        return erasure.create_erasure(tenant_id=current_tenant_id(), principal=current_principal(), **data), 201


@blp.route("/erasures/<erasure_id>")
class ErasureById(MethodView):
    @require(READ)
    @blp.response(200, schemas.ErasureSchema)
    def get(self, erasure_id):
        """One erasure: when, why, and how many records each component changed.

        Needs `privacy:read`; a signed-in person must be a tenant admin. Errors: `not_found`,
        `privacy_admin_required`."""
        return erasure.get_erasure(tenant_id=current_tenant_id(), principal=current_principal(), erasure_id=erasure_id)


@blp.route("/rectifications")
class Rectifications(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.RectificationSchema)
    @blp.response(200, schemas.RectificationSchema)
    def post(self, data):
        """Correct a person's email, phone, NHS number, name or postcode everywhere it is held.

        Needs `privacy:write`; a signed-in person must be a tenant admin. Each record holding the
        identifiers in `subject` gets the values in `to`. The audit log keeps which identifiers changed,
        never the values. Only records that are the person's change (none holding another of their identifiers with
        a different value), and details that another person's records hold are refused, so two people are never
        merged. Errors: `identifiers_missing`, `rectification_conflict`, `validation_failed`, `privacy_admin_required`."""
        return erasure.rectify(tenant_id=current_tenant_id(), principal=current_principal(), **data)


@blp.route("/retention")
class Retention(MethodView):
    @require(READ)
    @blp.response(200, schemas.RetentionScheduleSchema)
    def get(self):
        """How long each kind of personal data is kept, and from when.

        Needs `privacy:read`; a signed-in person must be a tenant admin. One entry per data class of your
        organisation's enabled components: the default period, yours if set, and the one applied.
        Errors: `privacy_admin_required`."""
        return retention.schedule(tenant_id=current_tenant_id(), principal=current_principal())

    @require(WRITE)
    @blp.arguments(schemas.RetentionSetSchema)
    @blp.response(200, schemas.RetentionScheduleSchema)
    def put(self, data):
        """Set how long your organisation keeps each kind of personal data.

        Needs `privacy:write`; a signed-in person must be a tenant admin. Classes not named keep their
        period; `days: null` goes back to the default. The next hourly run applies it (try the dry run
        first). The periods apply to live and test data alike, so a sandbox (test) client may read them but
        not set them. Recorded in the audit log. Errors: `retention_class_unknown`, `validation_failed`,
        `privacy_admin_required`, `sandbox_read_only`."""
        return retention.set_schedule(tenant_id=current_tenant_id(), principal=current_principal(), **data)


@blp.route("/retention/dry-run")
class RetentionDryRun(MethodView):
    @require(READ)
    @blp.response(200, schemas.DryRunSchema)
    def post(self):
        """See what the retention schedule would clear now, without clearing anything.

        Needs `privacy:read`; a signed-in person must be a tenant admin. Per data class: the cutoff, how
        many records and the ids of up to 100 of them. Errors: `privacy_admin_required`."""
        return retention.dry_run(tenant_id=current_tenant_id(), principal=current_principal())


@blp.route("/retention/runs")
class RetentionRuns(MethodView):
    @require(READ)
    @blp.arguments(schemas.RetentionRunQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.RetentionRunSchema))
    def get(self, query):
        """List the retention runs: when each data class was cleared, to which cutoff, how many records.

        Needs `privacy:read`; a signed-in person must be a tenant admin. Oldest first (filter by
        `data_class`). Errors: `invalid_cursor`, `privacy_admin_required`."""
        return retention.list_runs(tenant_id=current_tenant_id(), principal=current_principal(), **query)


PAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


@public_blp.route("/transparency/<slug>")
class Transparency(MethodView):
    @public
    @public_blp.response(200, schemas.TransparencySchema)
    def get(self, slug):
        """What an organisation holds about people, why, on which basis, for how long, and who it is shared with.

        Public: no token. Made from the platform's registry, the organisation's enabled components, its
        retention periods and its data-sharing agreements in force. An unknown or suspended organisation
        is a 404. Errors: `not_found`."""
        return transparency.register(slug=slug)


@public_blp.route("/transparency/<slug>.html")
class TransparencyPage(MethodView):
    @public
    @public_blp.doc(**HTML_DOC)
    def get(self, slug):
        """The same privacy notice as a web page for the public.

        Public: no token. Every value is escaped; the page runs no script. Errors: `not_found`."""
        return Response(transparency.page(slug=slug), mimetype="text/html", headers=PAGE_HEADERS)


@blp.route("/processing-record")
class ProcessingRecord(MethodView):
    @require("platform:admin")
    @blp.response(200, schemas.ProcessingRecordSchema)
    def get(self):
        """The place's record of processing activities (UK GDPR Article 30), for the steward.

        Needs `platform:admin`. Per activity: purposes, lawful basis, categories of people and data,
        recipients, transfers, retention and security measures; per organisation: its contact,
        components, retention periods and agreements. Errors: `insufficient_scope`, `component_disabled`."""
        return transparency.processing_record(principal=current_principal())


# --- the consent register ----------------------------------------------------------------------
@blp.route("/consents")
class Consents(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.ConsentSchema)
    @blp.response(201, schemas.ConsentSchema)
    @blp.alt_response(200, schema=schemas.ConsentSchema, description="The person's record for this purpose and "
                      "channel already existed: given again, its history extended.")
    def post(self, data):
        """Record that a person gave their consent to a purpose.

        Needs `privacy:write`; a signed-in person must be a tenant admin. Say what they agreed to, how and
        when it was collected, and which privacy notice they saw. The same person, purpose and channel
        again (after a withdrawal, say) updates their one record (200). Errors: `identifiers_missing`,
        `consent_date_invalid`, `privacy_admin_required`."""
        found = consent.give(tenant_id=current_tenant_id(), principal=current_principal(), **data)
        return found, 201 if getattr(found, "created_now", False) else 200


@blp.route("/consents/search")
class ConsentSearch(MethodView):
    @require(READ)
    @blp.arguments(schemas.ConsentSearchSchema)
    @blp.response(200, schemas.ConsentListSchema)
    def post(self, data):
        """Every consent a person gave or withdrew, by their email, phone or NHS number.

        Needs `privacy:read`; a signed-in person must be a tenant admin. Identifiers travel in the body,
        never in a URL; each record shown is in the audit log. Errors: `identifiers_missing`,
        `privacy_admin_required`."""
        return consent.search(tenant_id=current_tenant_id(), principal=current_principal(), **data)


@blp.route("/consents/<consent_id>")
class ConsentById(MethodView):
    @require(READ)
    @blp.response(200, schemas.ConsentSchema)
    def get(self, consent_id):
        """One consent record, with its history.

        Needs `privacy:read`; a signed-in person must be a tenant admin. Errors: `not_found`,
        `privacy_admin_required`."""
        return consent.get(tenant_id=current_tenant_id(), principal=current_principal(), consent_id=consent_id)


@blp.route("/consents/<consent_id>/withdraw")
class ConsentWithdrawal(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.WithdrawalSchema)
    @blp.response(200, schemas.ConsentSchema)
    def post(self, data, consent_id):
        """Record that the person withdrew their consent; messages for its purpose stop.

        Needs `privacy:write`; a signed-in person must be a tenant admin. If your organisation uses
        notify, the person is opted out of that purpose on the consent's channel (`any`: email and text
        message). Withdrawing again changes nothing. Errors: `consent_date_invalid`, `not_found`,
        `privacy_admin_required`."""
        return consent.withdraw(tenant_id=current_tenant_id(), principal=current_principal(), consent_id=consent_id,
                                **data)


@blp.route("/consents/<consent_id>/receipt")
class ConsentReceipt(MethodView):
    @require(READ)
    @blp.response(200, schemas.ReceiptSchema)
    def get(self, consent_id):
        """The consent as a receipt to give the person (the Kantara consent receipt's fields).

        Needs `privacy:read`; a signed-in person must be a tenant admin. Errors: `not_found`,
        `privacy_admin_required`."""
        return consent.receipt(tenant_id=current_tenant_id(), principal=current_principal(), consent_id=consent_id)
