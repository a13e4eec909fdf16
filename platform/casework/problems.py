"""The error codes casework answers with (declared once, here)."""
from civic.core.errors import declare

CASE_TYPE_INVALID = declare(
    "case_type_invalid", 422, "The case type is not consistent",
    means="The states, transitions, SLA targets, priorities or custom-field JSON Schema do not fit together.",
    action="Fix what `errors` names and send the whole definition again.")
CASE_TYPE_TAKEN = declare(
    "case_type_key_taken", 409, "A case type with this key exists",
    means="Keys are unique in an organisation; a changed definition is a new version of the same key.",
    action="POST the definition to /v1/casework/case-types/{id}/versions instead, or choose another key.")
FIELDS_INVALID = declare(
    "case_fields_invalid", 422, "The custom fields do not fit the case type",
    means="The case's `fields` fail the case type's JSON Schema.",
    action="Correct the fields listed in `errors` (see the case type's `fields_schema`).")
PRIORITY_UNKNOWN = declare(
    "priority_unknown", 422, "Unknown priority",
    means="The priority is not one of the case type's priorities.",
    action="Use one of the priorities the case type lists.")
TRANSITION_NOT_ALLOWED = declare(
    "transition_not_allowed", 409, "That move is not allowed",
    means="The case type has no transition from the case's state to the one asked for, or the case is closed.",
    action="Read the case type's `transitions` and choose an allowed next state.")
TRANSITION_FORBIDDEN = declare(
    "transition_forbidden", 403, "You may not make that move",
    means="The transition needs a role or scope the caller does not hold.",
    action="Ask someone with the role or scope the transition names.")
NOT_TENANT_ADMIN = declare(
    "tenant_admin_required", 403, "Only a tenant admin may do this",
    means="Case types, casework settings and data-sharing agreements are managed by the organisation's admins.",
    action="Ask your organisation's admin.")
ASSIGNEE_UNKNOWN = declare(
    "assignee_unknown", 422, "No such staff user here",
    means="The assignee is not an active staff user of your organisation.",
    action="Assign the case to one of your organisation's staff users (their `user_id`).")
NHS_NUMBER_INVALID = declare(
    "nhs_number_invalid", 422, "Not a valid NHS number",
    means="An NHS number is 10 digits whose last is a modulus-11 check digit; this one fails the check.",
    action="Check the number with the person or their records; leave it out if unknown.")
NOTE_TOO_LARGE = declare(
    "note_too_large", 422, "The note is too long",
    means="A note is limited in length (CASEWORK_NOTE_MAX_CHARS).",
    action="Shorten it, or attach a file instead.")
ATTACHMENT_TOO_LARGE = declare(
    "attachment_too_large", 413, "The file is too large",
    means="Attachments are limited in size (CASEWORK_ATTACHMENT_MAX_BYTES).",
    action="Send a smaller file.")
ATTACHMENT_TYPE = declare(
    "attachment_type_not_allowed", 415, "That kind of file is not accepted",
    means="Only PDF, PNG, JPEG and plain text are accepted, recognised by their content, not their name.",
    action="Convert the file to one of those types.")
NOT_BASE64 = declare(
    "attachment_not_base64", 422, "The file is not base64",
    means="An attachment's bytes travel as base64 in `content_base64`.",
    action="Encode the file with standard base64 (RFC 4648).")
CASE_TYPE_VERSION = declare(
    "case_type_version_mismatch", 409, "Not a version of this case's type",
    means="A case migrates only to another version of its own case type, with every state mapped.",
    action="Choose a version of the same key and map each state it does not have (`state_map`).")
AGREEMENT_NOT_LIVE = declare(
    "agreement_not_live", 409, "No live data-sharing agreement",
    means="Referrals need an agreement approved by both organisations and in force today.",
    action="Check the agreement's status, approvals and dates with both organisations' admins.")
FIELD_NOT_SHARED = declare(
    "field_not_in_agreement", 422, "A field is outside the agreement",
    means="The referral asks to share a field the agreement does not list.",
    action="Share only the agreement's `shared_fields`, or change the agreement first.")
CONSENT_REQUIRED = declare(
    "consent_not_recorded", 409, "The person's consent is not recorded",
    means="The agreement's lawful basis is consent, and the case has no recorded consent to share.",
    action="Record the person's consent on the case (`consent_to_share: true`) before referring.")
CONSENT_WITHDRAWN = declare(
    "consent_withdrawn", 409, "The person withdrew their consent",
    means="The agreement's lawful basis is consent, and the organisation's consent register holds the person's "
          "consent to be referred (purpose `referral`) withdrawn or expired, whatever the case records.",
    action="Do not refer them. If they consent again, record it in the register (`POST /v1/privacy/consents`).")
REFERRAL_STATE = declare(
    "referral_not_open", 409, "The referral cannot do that now",
    means="Only a sent referral can be accepted or declined, and only an accepted one can report an outcome.",
    action="Read the referral's `status`.")
AGREEMENT_PARTY = declare(
    "agreement_party_invalid", 422, "Not a valid partner organisation",
    means="An agreement is between your organisation and another active one, named by its slug.",
    action="Name another organisation's slug in `partner`.")
