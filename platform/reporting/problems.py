"""The reporting component's error codes (the /v1 API, insight, open data and Open311).

Open311 answers in its own error format (a list of `code` and `description`, XML or JSON): there, a
problem's HTTP status is 403, 404 or the spec's 400, and its `detail` is the description.
"""
from civic.core.errors import declare

# --- categories and reports ---------------------------------------------------------
CATEGORY_EXISTS = declare("category_exists", 409, "Category already exists",
                          means="You already have a category with this code.",
                          action="Choose another code, or change the existing category (PATCH).")
CATEGORY_IN_USE = declare("category_in_use", 409, "Category has reports",
                          means="A category with reports cannot be deleted: the reports keep it.",
                          action="Set `active` to false instead: it then takes no new reports.")
UNKNOWN_CATEGORY = declare("unknown_category", 422, "Unknown category",
                           means="There is no category with this code in the organisation.",
                           action="List the categories with GET /v1/reporting/categories and use one of their codes.")
CATEGORY_UNAVAILABLE = declare("category_unavailable", 422, "Category not taking reports",
                               means="The category is inactive, or its organisation does not run reporting.",
                               action="Choose an active category.")
MISSING_ATTRIBUTE = declare("missing_attribute", 422, "Questions not answered",
                            means="The category asks questions that must be answered, and some were not.",
                            action="Answer each question named in `errors` in `attributes`.")
INVALID_ATTRIBUTE = declare("invalid_attribute", 422, "Answers not valid",
                            means="Some answers to the category's questions are not valid.",
                            action="Fix each answer named in `errors` (the category lists each question's choices).")
INVALID_REPORTER = declare("invalid_reporter", 422, "Reporter's contact details not valid",
                           means="The reporter's email, phone number or postcode is not valid.",
                           action="Fix the fields named in `errors`, or leave them out.")
INVALID_MEDIA_URL = declare("invalid_media_url", 422, "Photo link not valid",
                            means="`media_url` must be an http or https URL of reasonable length.",
                            action="Send a link to the photo starting with https://, or leave it out.")
LOCATION_INCOMPLETE = declare("location_incomplete", 422, "Location incomplete",
                              means="Only one of latitude and longitude was sent.",
                              action="Send both `lat` and `long`, or neither.")
LOCATION_REQUIRED = declare("location_required", 422, "Location required",
                            means="A report must say where: a point, an address or a UPRN.",
                            action="Send `lat` and `long`, an `address`, or a `uprn`.")
LOCATION_OUT_OF_RANGE = declare("location_out_of_range", 422, "Location out of range",
                                means="Latitude must be -90 to 90 and longitude -180 to 180 (WGS84 degrees).",
                                action="Send the point in WGS84 degrees (GPS), not British National Grid metres.")
DESCRIPTION_TOO_LONG = declare("description_too_long", 422, "Description too long",
                               means="The description is longer than reports take.",
                               action="Shorten the description.")
CLOSING_REASON_NOT_ALLOWED = declare("closing_reason_not_allowed", 422, "Closing reason without closing",
                                     means="Only a report being closed has a closing reason.",
                                     action="Send `closing_reason` only with `status` closed.")
NOTHING_TO_CHANGE = declare("nothing_to_change", 422, "Nothing to change",
                            means="The report already has that status and no note was sent.",
                            action="Send a different status, or add a `note` to post an update.")
UNKNOWN_TENANT = declare("unknown_tenant", 422, "Unknown organisation",
                         means="No active organisation with that slug takes reports.",
                         action="Check the organisation's slug with the platform steward.")
SAME_TENANT = declare("same_tenant", 422, "Already yours",
                      means="A report cannot be transferred to your own organisation.",
                      action="Change the report's category instead.")

# --- insight and open data -------------------------------------------------------------
BAD_DATE_RANGE = declare("bad_date_range", 422, "End before start",
                         means="The end of the period is before its start.",
                         action="Swap the dates, or send an end after the start.")
WINDOW_TOO_LONG = declare("window_too_long", 422, "Period too long",
                          means="Insight covers a few years at a time at most.",
                          action="Ask for a shorter period.")
ANSWER_TOO_LARGE = declare("answer_too_large", 422, "Answer too large",
                           means="The answer would have more groups than the platform returns at once.",
                           action="Choose a shorter period, fewer `by` dimensions or larger areas.")
TABLE_NOT_OFFERED = declare("table_not_offered", 422, "Table not published",
                            means="Tables by area are published for the 52-week period only.",
                            action="Ask for `period=52w`, or for the table by category and week.")

# --- Open311 GeoReport v2 (answered in Open311's own error format) ----------------------
JURISDICTION_NOT_FOUND = declare("jurisdiction_not_found", 404, "Unknown jurisdiction",
                                 means="No organisation has this `jurisdiction_id`.",
                                 action="Use an organisation's slug from discovery, or leave jurisdiction_id out.")
SERVICE_NOT_FOUND = declare("service_not_found", 404, "Unknown service code",
                            means="No public category has this `service_code`.",
                            action="Use a service_code listed by GET /open311/v2/services.json.")
SERVICE_CODE_REQUIRED = declare("service_code_required", 400, "service_code required",
                                means="A new service request needs a `service_code`.",
                                action="Send the service_code of one of the services.")
INVALID_API_KEY = declare("invalid_api_key", 403, "Invalid api_key",
                          means="The `api_key` is missing, unknown, revoked, or may not send reports.",
                          action="Ask the organisation for an API key of a client with `reporting:write`.")
BAD_DATE = declare("bad_date", 400, "Date not valid",
                   means="A date is not a W3C date-time with a time zone, or is out of range.",
                   action="Send dates such as 2026-01-31T00:00:00Z.")
DATE_RANGE_TOO_LONG = declare("date_range_too_long", 400, "Date range too long",
                              means="start_date to end_date may span at most 90 days.",
                              action="Ask for a shorter range and page through by dates.")
BAD_LOCATION = declare("bad_location", 400, "Location not a number",
                       means="`lat` and `long` must be numbers.",
                       action="Send WGS84 degrees such as lat=51.5014&long=-0.1419.")
BAD_STATUS = declare("bad_status", 400, "Status not valid",
                     means="`status` must be open, closed, or both comma-separated.",
                     action="Send status=open, status=closed or status=open,closed.")
INVALID_STATUS = declare("invalid_status", 400, "Update status not known",
                         means="The update's status is not one FixMyStreet sends.",
                         action="Send one of the statuses FixMyStreet uses (OPEN, INVESTIGATING, FIXED, CLOSED, ...).")
MISSING_PARAMETER = declare("missing_parameter", 400, "Parameter missing",
                            means="A required parameter was not sent.",
                            action="Send the parameters named in the description.")
