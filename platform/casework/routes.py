"""The casework API under /v1/casework: HTTP only, one service call per method."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from civic.casework import referral_schemas as rs
from civic.casework import referrals, schemas, service, storage, work
from civic.core import etag, formats
from civic.core.auth import current_principal, current_tenant_id, require, require_any
from civic.core.pagination import PageQuerySchema, page_schema

GUIDE = """Cases worked through workflows you define, with SLA clocks that pause, team queues, a
timeline of every change, and referrals to other organisations under data-sharing agreements.

**Define a case type, then work cases through it.**

1. A tenant admin `POST /v1/casework/case-types` with its `states`, `transitions` (each may need a
   `role` or `scope`), `initial_state`, `final_states`, SLA targets (`{"working_days": 2}` per state
   or for the whole case), `pauses_sla` states, `priorities` and `fields_schema` (JSON Schema).
   A changed definition is a new version (`.../versions`); open cases keep theirs until migrated.
2. `POST /v1/casework/cases` opens a case; `.../transition`, `.../assign`, `.../notes`,
   `.../attachments` work it; `GET /v1/casework/cases` is the queue, nearest due date first.
3. `PUT /v1/casework/settings` sets working hours (weekends and UK bank holidays are off) and which
   report categories open a case.
4. Agreements (`/v1/casework/agreements`), approved by both organisations' admins, let you refer a
   case (`POST /v1/casework/cases/{id}/referrals`): only the fields the agreement lists cross.

Send `If-Match` with a case's ETag so two people cannot overwrite each other (else a 412). Errors carry
a stable `code`: `transition_not_allowed`, `transition_forbidden`, `case_fields_invalid`,
`assignee_unknown`, `nhs_number_invalid`, `note_too_large`, `attachment_too_large`,
`attachment_type_not_allowed`, `agreement_not_live`, `field_not_in_agreement`, `consent_not_recorded`,
`referral_not_open`, `tenant_admin_required`, `case_type_invalid`, `precondition_failed`."""

blp = Blueprint("casework", __name__, url_prefix="/v1/casework", description=GUIDE)
READ, WRITE = "casework:read", "casework:write"


# --- case types ------------------------------------------------------------------
@blp.route("/case-types")
class CaseTypes(MethodView):
    @require(READ)
    @blp.arguments(schemas.CaseTypeQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.CaseTypeSchema))
    def get(self, query):
        """List your case types (every version; filter by `key`).

        Needs `casework:read`. Each version is listed on its own; a page of 20
        by default (`limit`, then `after` with the `next` cursor). Changes nothing. Errors: `invalid_cursor`."""
        return service.list_case_types(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.CaseTypeSchema)
    @blp.response(201, schemas.CaseTypeSchema)
    def post(self, data):
        """Define a new kind of case: its states, moves, SLA targets, priorities and custom fields.

        Tenant admins only (`casework:write`; an app needs `clients:manage`). The JSON Schema in
        `fields_schema` is itself checked. Errors: `case_type_invalid`, `case_type_key_taken`,
        `tenant_admin_required`."""
        return service.create_case_type(tenant_id=current_tenant_id(), principal=current_principal(), **data), 201


@blp.route("/case-types/<case_type_id>")
class CaseTypeById(MethodView):
    @require(READ)
    @blp.response(200, schemas.CaseTypeSchema)
    def get(self, case_type_id):
        """One version of a case type.

        Needs `casework:read`. Shows its states, moves, SLA targets and custom fields; changes nothing.
        Errors: `not_found`."""
        return service.get_case_type(tenant_id=current_tenant_id(), case_type_id=case_type_id)


@blp.route("/case-types/<case_type_id>/versions")
class CaseTypeVersions(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.CaseTypeVersionSchema)
    @blp.response(201, schemas.CaseTypeSchema)
    def post(self, data, case_type_id):
        """Publish a new version of a case type; new cases use it, open cases keep theirs until migrated.

        Tenant admins only. Errors: `case_type_invalid`, `tenant_admin_required`."""
        return service.add_version(tenant_id=current_tenant_id(), principal=current_principal(),
                                   case_type_id=case_type_id, **data), 201


# --- settings --------------------------------------------------------------------
@blp.route("/settings")
class CaseworkSettings(MethodView):
    @require(READ)
    @blp.response(200, schemas.SettingsSchema)
    def get(self):
        """Your working hours (for SLA clocks) and which report categories open cases.

        Needs `casework:read`. Before any are set, the defaults apply (Monday to Friday, 09:00 to 17:00,
        Europe/London, England and Wales bank holidays off, no intake). Changes nothing."""
        return service.get_settings(tenant_id=current_tenant_id())

    @require(WRITE)
    @blp.arguments(schemas.SettingsSchema)
    @blp.response(200, schemas.SettingsSchema)
    def put(self, data):
        """Set your working hours, time zone, bank holidays and report intake (tenant admins only).

        A report in an intake category (reporting's `civic.reporting.report_created`) opens a case
        of the named case type in a background job. Error: `tenant_admin_required`."""
        return service.put_settings(tenant_id=current_tenant_id(), principal=current_principal(), **data)


# --- cases -----------------------------------------------------------------------
@blp.route("/cases")
class Cases(MethodView):
    @require(READ)
    @blp.arguments(schemas.CaseQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.CaseSchema))
    def get(self, query):
        """The queue: cases by state, assignee, team, priority, overdue, due date or a custom field, nearest due first.

        Needs `casework:read`. A page of 20 by default (`limit`, then `after` with the `next` cursor). The
        list does not show the person's details, so it is not audited. Errors: `invalid_cursor`."""
        return service.list_cases(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.CaseSchema)
    @blp.response(201, schemas.CaseSchema)
    def post(self, data):
        """Open a case of one of your case types; its SLA clocks start now.

        Emits `civic.casework.case_created`. Errors: `case_fields_invalid`, `priority_unknown`,
        `assignee_unknown`, `nhs_number_invalid`, `not_found` (no such case type)."""
        return etag.tagged(service.create_case(tenant_id=current_tenant_id(), **data), 201)


@blp.route("/cases/<case_id>")
class CaseById(MethodView):
    @require(READ)
    @blp.response(200, schemas.CaseSchema)
    def get(self, case_id):
        """One case, with the person's details (the read is audited).

        Needs `casework:read`. The answer carries an `ETag` to send as `If-Match` when you change the case.
        Errors: `not_found`."""
        return etag.tagged(service.get_case(tenant_id=current_tenant_id(), case_id=case_id))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.CaseUpdateSchema)
    @blp.response(200, schemas.CaseSchema)
    def patch(self, data, case_id):
        """Change a case's title, priority, custom fields, person, links, reference or metadata.

        Send `If-Match` with the ETag you read (else someone's change may be overwritten; a stale one is a 412)."""
        return etag.tagged(service.update_case(tenant_id=current_tenant_id(), case_id=case_id,
                                               if_match=etag.if_match(), **data))


@blp.route("/cases/<case_id>/transition")
class CaseTransition(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.TransitionRequestSchema)
    @blp.response(200, schemas.CaseSchema)
    def post(self, data, case_id):
        """Move a case to its next state; clocks pause, resume or stop as the state says.

        Emits `civic.casework.state_changed`. Errors: `transition_not_allowed` (409),
        `transition_forbidden` (403, the move needs a role or scope), `precondition_failed` (412)."""
        return etag.tagged(service.transition(tenant_id=current_tenant_id(), principal=current_principal(),
                                              case_id=case_id, if_match=etag.if_match(), **data))


@blp.route("/cases/<case_id>/assign")
class CaseAssign(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.AssignSchema)
    @blp.response(200, schemas.CaseSchema)
    def post(self, data, case_id):
        """Assign or reassign a case to a colleague and a team queue (null unassigns).

        Emits `civic.casework.assigned`. Errors: `assignee_unknown`, `precondition_failed`."""
        return etag.tagged(service.assign(tenant_id=current_tenant_id(), case_id=case_id,
                                          if_match=etag.if_match(), **data))


@blp.route("/cases/<case_id>/migrate")
class CaseMigrate(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.MigrateSchema)
    @blp.response(200, schemas.CaseSchema)
    def post(self, data, case_id):
        """Move an open case to another version of its case type; time already used on the SLA is kept.

        Tenant admins only. Errors: `case_type_version_mismatch`, `case_fields_invalid`, `tenant_admin_required`."""
        return etag.tagged(service.migrate_case(tenant_id=current_tenant_id(), principal=current_principal(),
                                                case_id=case_id, if_match=etag.if_match(), **data))


@blp.route("/cases/<case_id>/timeline")
class CaseTimeline(MethodView):
    @require(READ)
    @blp.response(200, schemas.TimelineSchema)
    def get(self, case_id):
        """Every change to a case, oldest first, with who made it and when.

        Needs `casework:read`. State changes, assignments, notes, files, referrals and SLA pauses all
        appear here; changes nothing. Errors: `not_found`."""
        return service.timeline(tenant_id=current_tenant_id(), case_id=case_id)


@blp.route("/cases/<case_id>/notes")
class CaseNotes(MethodView):
    @require(READ)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.NoteSchema))
    def get(self, query, case_id):
        """A case's notes, oldest first.

        Needs `casework:read`. A page of 20 by default (`limit`, then `after` with the `next` cursor).
        Errors: `not_found`, `invalid_cursor`."""
        return work.list_notes(tenant_id=current_tenant_id(), case_id=case_id, **query)

    @require(WRITE)
    @blp.arguments(schemas.NoteSchema)
    @blp.response(201, schemas.NoteSchema)
    def post(self, data, case_id):
        """Add a note: internal, or `shareable` with a referral partner.

        Needs `casework:write`. The note joins the case's timeline; only `shareable` notes can cross in a
        referral. Nothing is sent to anyone. Errors: `note_too_large`, `not_found`."""
        return work.add_note(tenant_id=current_tenant_id(), case_id=case_id, body=data["body"],
                             shareable=data["shareable"])


@blp.route("/cases/<case_id>/attachments")
class CaseAttachments(MethodView):
    @require(READ)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.AttachmentSchema))
    def get(self, query, case_id):
        """A case's files (their details; download each from `.../content`).

        Needs `casework:read`. A page of 20 by default (`limit`, then `after` with the `next` cursor).
        Errors: `not_found`, `invalid_cursor`."""
        return work.list_attachments(tenant_id=current_tenant_id(), case_id=case_id, **query)

    @require(WRITE)
    @blp.arguments(schemas.AttachmentUploadSchema)
    @blp.response(201, schemas.AttachmentSchema)
    def post(self, data, case_id):
        """Attach a file (base64 in JSON): PDF, PNG, JPEG or plain text, recognised by its content.

        Errors: `attachment_too_large` (413), `attachment_type_not_allowed` (415), `attachment_not_base64` (422)."""
        return work.add_attachment(tenant_id=current_tenant_id(), case_id=case_id, **data)


@blp.route("/cases/<case_id>/attachments/<attachment_id>/content")
class AttachmentContent(MethodView):
    @require(READ)
    @blp.doc(responses={"200": {"description": "The file's bytes, with the type recognised when it was attached.",
                                "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                                            for kind in sorted(storage.ALLOWED)}}})
    def get(self, case_id, attachment_id):
        """Download a file attached to a case (the download is audited).

        Needs `casework:read`. The file comes as an attachment that a browser will not run or show
        inline. Errors: `not_found`."""
        attachment, body = work.attachment_content(tenant_id=current_tenant_id(), case_id=case_id,
                                                   attachment_id=attachment_id)
        return Response(body, mimetype=attachment.content_type, headers={
            "Content-Disposition": formats.attachment_disposition(attachment.filename),
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})


@blp.route("/counts")
class Counts(MethodView):
    @require(READ)
    @blp.arguments(schemas.CaseCountsQuerySchema, location="query")
    @blp.response(200, schemas.CaseCountsSchema)
    def get(self, query):
        """How many cases in each state, and open cases by overdue band: for a dashboard.

        Needs `casework:read`. Only counts, never a person's details; filter by `team` or `assignee_id`.
        Changes nothing."""
        return service.counts(tenant_id=current_tenant_id(), **query)


# --- agreements and referrals -------------------------------------------------------
@blp.route("/agreements")
class Agreements(MethodView):
    @require_any(READ, "platform:admin")
    @blp.arguments(rs.AgreementQuerySchema, location="query")
    @blp.response(200, page_schema(rs.AgreementSchema))
    def get(self, query):
        """The log of your data-sharing agreements, on either side (a steward sees the whole place's).

        Needs `casework:read`, or `platform:admin` for the place's whole log."""
        return referrals.list_agreements(tenant_id=current_tenant_id(), principal=current_principal(), **query)

    @require(WRITE)
    @blp.arguments(rs.AgreementSchema)
    @blp.response(201, rs.AgreementSchema)
    def post(self, data):
        """Propose a data-sharing agreement with another organisation: purpose, basis, fields, dates.

        Tenant admins only. Both organisations' admins then approve it. Errors: `agreement_party_invalid`,
        `tenant_admin_required`."""
        return referrals.create_agreement(tenant_id=current_tenant_id(), principal=current_principal(), **data), 201


@blp.route("/agreements/<agreement_id>")
class AgreementById(MethodView):
    @require(READ)
    @blp.response(200, rs.AgreementSchema)
    def get(self, agreement_id):
        """One agreement you are a party to.

        Needs `casework:read`. Shows its purpose, lawful basis, the fields it lets cross, its dates and
        who has approved it. Errors: `not_found`."""
        return referrals.get_agreement(tenant_id=current_tenant_id(), agreement_id=agreement_id)


@blp.route("/agreements/<agreement_id>/approve")
class AgreementApprove(MethodView):
    @require(WRITE)
    @blp.response(200, rs.AgreementSchema)
    def post(self, agreement_id):
        """Approve an agreement for your organisation (tenant admins); live once both sides have.

        Needs `casework:write` and a tenant admin (an app needs `clients:manage`). Once both organisations
        have approved, referrals can be sent under it. Errors: `tenant_admin_required`, `not_found`."""
        return referrals.approve_agreement(tenant_id=current_tenant_id(), principal=current_principal(),
                                           agreement_id=agreement_id)


@blp.route("/agreements/<agreement_id>/end")
class AgreementEnd(MethodView):
    @require(WRITE)
    @blp.response(200, rs.AgreementSchema)
    def post(self, agreement_id):
        """End an agreement now (either party's admin): no more referrals under it.

        Needs `casework:write` and a tenant admin (an app needs `clients:manage`). Referrals already sent
        stay as they are. Errors: `tenant_admin_required`, `not_found`."""
        return referrals.end_agreement(tenant_id=current_tenant_id(), principal=current_principal(),
                                       agreement_id=agreement_id)


@blp.route("/cases/<case_id>/referrals")
class CaseReferrals(MethodView):
    @require(WRITE)
    @blp.arguments(rs.ReferralRequestSchema)
    @blp.response(201, rs.ReferralSchema)
    def post(self, data, case_id):
        """Refer a case to the other party of a live agreement; only the agreement's fields are shared.

        Emits `civic.casework.referral_sent` to the receiver. Errors: `agreement_not_live`,
        `field_not_in_agreement`, `consent_not_recorded`."""
        referral = referrals.send_referral(tenant_id=current_tenant_id(), case_id=case_id, **data)
        return referrals.view(referral, current_tenant_id()), 201


@blp.route("/referrals")
class Referrals(MethodView):
    @require(READ)
    @blp.arguments(rs.ReferralQuerySchema, location="query")
    @blp.response(200, page_schema(rs.ReferralSchema))
    def get(self, query):
        """Referrals you received (default) or sent, with their status and outcome.

        Needs `casework:read`. Use `direction=sent` for the ones you made; a page of 20 by default
        (`limit`, then `after` with the `next` cursor). Errors: `invalid_cursor`."""
        return referrals.list_referrals(tenant_id=current_tenant_id(), **query)


@blp.route("/referrals/<referral_id>")
class ReferralById(MethodView):
    @require(READ)
    @blp.response(200, rs.ReferralSchema)
    def get(self, referral_id):
        """One referral you sent or received (a receiver's read is audited for both organisations).

        Needs `casework:read`. The receiver sees only the fields the agreement lets cross. Errors:
        `not_found`."""
        return referrals.get_referral(tenant_id=current_tenant_id(), referral_id=referral_id)


@blp.route("/referrals/<referral_id>/accept")
class ReferralAccept(MethodView):
    @require(WRITE)
    @blp.arguments(rs.AcceptSchema)
    @blp.response(200, rs.ReferralSchema)
    def post(self, data, referral_id):
        """Accept a referral: opens your own case from what was shared.

        Needs `casework:write` (the receiving organisation). Emits `civic.casework.referral_accepted` to
        the sender. Errors: `referral_not_open`, `not_found`."""
        return referrals.accept_referral(tenant_id=current_tenant_id(), referral_id=referral_id, **data)


@blp.route("/referrals/<referral_id>/decline")
class ReferralDecline(MethodView):
    @require(WRITE)
    @blp.arguments(rs.DeclineSchema)
    @blp.response(200, rs.ReferralSchema)
    def post(self, data, referral_id):
        """Decline a referral, saying why.

        Needs `casework:write` (the receiving organisation). Emits `civic.casework.referral_declined` to
        the sender, with your reason. Errors: `referral_not_open`, `not_found`."""
        return referrals.decline_referral(tenant_id=current_tenant_id(), referral_id=referral_id, **data)


@blp.route("/referrals/<referral_id>/outcome")
class ReferralOutcome(MethodView):
    @require(WRITE)
    @blp.arguments(rs.OutcomeSchema)
    @blp.response(200, rs.ReferralSchema)
    def post(self, data, referral_id):
        """Tell the referrer how it went (once, after accepting).

        Needs `casework:write` (the receiving organisation). Emits `civic.casework.referral_outcome` to
        the sender. Errors: `referral_not_open`, `not_found`."""
        return referrals.report_outcome(tenant_id=current_tenant_id(), referral_id=referral_id, **data)
