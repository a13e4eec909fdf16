"""The core's error codes: HTTP errors every route can answer with, and the kernel's own refusals.

Each is declared once here, with what it means and what the caller should do; the error catalogue
(`/problems`) is built from every component's declarations (`civic.core.errors.REGISTRY`).
"""
from civic.core.errors import declare

# --- what HTTP itself can answer (werkzeug and Flask raise these) --------------------
BAD_REQUEST = declare("bad_request", 400, "Bad request",
                      means="The request could not be read as sent.",
                      action="Check the method, URL, headers and body against the operation's documentation.")
UNAUTHENTICATED = declare("unauthenticated", 401, "Unauthenticated",
                          means="No access token was sent, or the token is not valid, has expired or was revoked.",
                          action="Get a token from POST /oauth/token and send it as `Authorization: Bearer <token>`.")
FORBIDDEN = declare("forbidden", 403, "Forbidden",
                    means="You are signed in, but this is not yours to do.",
                    action="Ask your organisation's admin or the platform steward for the access you need.")
NOT_FOUND = declare("not_found", 404, "Not found",
                    means="There is no such address or record, or it belongs to another organisation.",
                    action="Check the id or URL; ids are only valid with the organisation that created them.")
METHOD_NOT_ALLOWED = declare("method_not_allowed", 405, "Method not allowed",
                             means="This address exists but does not take that HTTP method.",
                             action="Use one of the methods in the `Allow` header.")
NOT_ACCEPTABLE = declare("not_acceptable", 406, "Not acceptable",
                         means="We cannot answer in any format your `Accept` header allows.",
                         action="Accept `application/json` (or leave `Accept` out).")
CONFLICT = declare("conflict", 409, "Conflict",
                   means="The change clashes with another one (for example two records with the same unique value).",
                   action="Read the record again and retry if the change still makes sense.")
PRECONDITION_FAILED = declare("precondition_failed", 412, "Precondition failed",
                              means="The `If-Match` ETag you sent is not the record's current one: someone changed it.",
                              action="Read it again (the answer's `ETag` header is current), then send your change with the new ETag.")
BODY_TOO_LARGE = declare("body_too_large", 413, "Request body too large",
                         means="The body is larger than the platform accepts (CIVIC_MAX_CONTENT_LENGTH).",
                         action="Send less: split a large upload or leave out what the operation does not need.")
UNSUPPORTED_MEDIA_TYPE = declare("unsupported_media_type", 415, "Unsupported media type",
                                 means="The body is not in a format this operation takes.",
                                 action="Send JSON with `Content-Type: application/json`.")
VALIDATION_FAILED = declare("validation_failed", 422, "Some fields are not valid",
                            means="One or more fields are missing, unknown, read-only or not valid.",
                            action="The `errors` field lists each field with what to fix.")
PRECONDITION_REQUIRED = declare("precondition_required", 428, "Precondition required",
                                means="This change needs an `If-Match` header.",
                                action="Read the record, then send the change with its `ETag` as `If-Match`.")
RATE_LIMITED = declare("rate_limited", 429, "Too many requests",
                       means="Your app (or your organisation) used up its request budget for now.",
                       action="Wait for the seconds in `Retry-After`; the `RateLimit-*` headers show your budget.")
INTERNAL_ERROR = declare("internal_error", 500, "Internal server error",
                         means="Something went wrong on our side. It has been logged.",
                         action="Try again later; if it keeps happening, tell the platform steward the `request_id`.")
SERVICE_UNAVAILABLE = declare("service_unavailable", 503, "Service unavailable",
                              means="The platform is not able to answer just now.",
                              action="Try again after the seconds in `Retry-After`.")
HTTP_ERROR = declare("http_error", 400, "HTTP error",
                     means="Another HTTP error: the status code says which.",
                     action="Check the status code and `detail`.")

# --- the kernel's own refusals ---------------------------------------------------------
MALFORMED_JSON = declare("malformed_json", 400, "Malformed JSON",
                         means="The body says it is JSON but is not valid JSON.",
                         action="Check the body with a JSON validator (a missing quote or comma is the usual cause).")
DATABASE_UNAVAILABLE = declare("database_unavailable", 503, "The database is unavailable",
                               means="The platform could not reach its database; nothing was changed.",
                               action="Try again after the seconds in `Retry-After`.")
CONCURRENT_CHANGE = declare("concurrent_change", 409, "Concurrent change",
                            means="Another change to the same data happened at the same moment; yours was not made.",
                            action="Send the same request again after the seconds in `Retry-After`.")
INVALID_CURSOR = declare("invalid_cursor", 422, "Invalid cursor",
                         means="The `after` value is not a `next` cursor this platform gave you.",
                         action="Pass the `next` value of the previous page unchanged, or leave `after` out.")
INSUFFICIENT_SCOPE = declare("insufficient_scope", 403, "Insufficient scope",
                             means="Your token does not carry the scope this operation needs.",
                             action="Ask for a token with the scope in the `WWW-Authenticate` header; your client must hold it.")
COMPONENT_DISABLED = declare("component_disabled", 403, "Component not enabled",
                             means="Your organisation does not run the component this operation belongs to.",
                             action="Ask the platform steward to enable it for your organisation.")
JOB_NOT_DEAD = declare("job_not_dead", 409, "The job has not failed",
                       means="Only a job that failed for good (dead-lettered) can be retried.",
                       action="List dead jobs with GET /v1/admin/jobs?status=dead and retry one of those.")
HOST_NOT_ALLOWED = declare("host_not_allowed", 400, "Host not served here",
                           means="The `Host` you called is not one this platform answers for (CIVIC_ALLOWED_HOSTS).",
                           action="Call the platform by its public address.")
HTTPS_REQUIRED = declare("https_required", 400, "HTTPS required",
                         means="OAuth calls must use https.",
                         action="Call over https; an operator behind a TLS proxy sets CIVIC_PROXY_X_PROTO.")
SANDBOX_READ_ONLY = declare("sandbox_read_only", 403, "Sandbox clients may not change this",
                            means="A sandbox (test) client may read live configuration but not change it.",
                            action="Make the change with a live client of your organisation.")
IDEMPOTENCY_IN_PROGRESS = declare("idempotency_in_progress", 409, "Request still in progress",
                                  means="A request with the same `Idempotency-Key` is still being processed.",
                                  action="Retry after the seconds in `Retry-After`: you will get the first request's answer.")
IDEMPOTENCY_KEY_REUSED = declare("idempotency_key_reused", 422, "Idempotency-Key already used",
                                 means="This `Idempotency-Key` was already used with a different request.",
                                 action="Use a new key for each new request; reuse a key only to retry the same request.")
IDEMPOTENCY_KEY_UNREADABLE = declare("idempotency_key_unreadable", 409, "The first answer cannot be replayed",
                                     means="The stored first answer to this `Idempotency-Key` can no longer be read "
                                           "(the platform's keys were rotated).",
                                     action="Check whether the first request took effect, then use a new key.")
IDEMPOTENCY_ACCESS_CHANGED = declare("idempotency_access_changed", 403, "Access changed since the first request",
                                     means="The first request with this `Idempotency-Key` was made with a role or "
                                           "scopes the caller no longer holds, so its answer is not replayed.",
                                     action="Ask your organisation's admin for the access again, or check whether "
                                            "the first request took effect.")
INVALID_IDEMPOTENCY_KEY = declare("invalid_idempotency_key", 422, "Invalid Idempotency-Key",
                                  means="The `Idempotency-Key` header is empty or longer than 255 characters.",
                                  action="Send a unique value of 1-255 characters, such as a UUID.")
UNEXPECTED_BODY = declare("unexpected_body", 422, "This call takes no body",
                          means="The operation takes no request body, but one was sent.",
                          action="Leave the body out.")
JSON_TOO_DEEP = declare("json_too_deep", 422, "JSON nested too deep",
                        means="The body's JSON is nested more deeply than the platform accepts.",
                        action="Flatten the body: no operation needs deeply nested objects.")
INVALID_CHARACTER = declare("invalid_character", 422, "Invalid character",
                            means="Text contains a control character (such as NUL) or an unpaired surrogate.",
                            action="Remove the characters named in `errors`.")

# Stable codes for the errors Flask and werkzeug raise themselves, by HTTP status.
BY_HTTP_STATUS = {kind.status: kind for kind in (
    BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, METHOD_NOT_ALLOWED, NOT_ACCEPTABLE, CONFLICT,
    PRECONDITION_FAILED, BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, VALIDATION_FAILED, PRECONDITION_REQUIRED,
    RATE_LIMITED, INTERNAL_ERROR, SERVICE_UNAVAILABLE)}
