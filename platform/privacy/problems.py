"""The error codes the privacy component answers with (declared once, here)."""
from civic.core.errors import declare

ADMIN_REQUIRED = declare(
    "privacy_admin_required", 403, "Only a tenant admin may do this",
    means="Subject searches and subject access requests show everything held about a person: a signed-in "
          "person needs the tenant_admin role (an app acts through its privacy scopes).",
    action="Ask your organisation's admin.")
NO_IDENTIFIER = declare(
    "identifiers_missing", 422, "No identifier to search by",
    means="A search or request names the person by at least one of email, phone, NHS number, postcode, or a "
          "name with a date of birth (a name alone or a date of birth alone names nobody).",
    action="Send at least one identifier; send a name and a date of birth together.")
RECTIFICATION_CONFLICT = declare(
    "rectification_conflict", 409, "Those details are someone else's",
    means="Records of another person already hold the corrected email, phone or NHS number, so writing them "
          "here would merge two people. Nothing was changed.",
    action="Search for the corrected details (`POST /v1/privacy/searches`) and check who they belong to.")
NOT_ALLOWED = declare(
    "request_transition_not_allowed", 409, "That move is not allowed",
    means="A request moves received -> awaiting_id / in_progress / extended -> completed or refused; a "
          "completed or refused request is closed, and only a request waiting for identification resumes.",
    action="Read the request's `state` and `transitions`, and choose one of them.")
EXTENSION_TOO_LATE = declare(
    "extension_too_late", 409, "Too late to extend",
    means="An extension must be decided, and the person told, within the first month (before the one-month "
          "deadline passes).",
    action="Answer the request; an extension can no longer be taken.")
DATE_INVALID = declare(
    "request_date_invalid", 422, "That date does not fit the request",
    means="A received date is not in the future; the date identification was asked for or arrived is not in "
          "the future, nor before the request was received or paused.",
    action="Send the date on which it happened (YYYY-MM-DD).")
NOT_READY = declare(
    "request_not_ready", 409, "The request cannot be exported now",
    means="An export is made only for a request being worked on (in progress, extended or completed): not "
          "before the person's identity is confirmed (received, awaiting identification), not once refused.",
    action="Move the request to `in_progress` once the person's identity is confirmed.")
ERASURE_HELD = declare(
    "erasure_held", 409, "This person's data must be kept for now",
    means="A component must keep the person's data for now (casework: an open case about them). The "
          "answer's `reasons` say which records and why; nothing was erased.",
    action="Resolve each reason (for a case: close it), then ask again.")

RETENTION_CLASS_UNKNOWN = declare(
    "retention_class_unknown", 422, "No such data class",
    means="A retention period is set for one of the platform's data classes, those of components your "
          "organisation uses and those it switched off (`GET /v1/privacy/retention` lists them).",
    action="Use a `data_class` from that list.")
CONSENT_DATE_INVALID = declare(
    "consent_date_invalid", 422, "That date does not fit the consent",
    means="A consent is given now or in the past and expires after it was given; it is withdrawn now, or in "
          "the past after it was given.",
    action="Send the moment it happened (ISO 8601 with a time zone), or leave it out for now.")
