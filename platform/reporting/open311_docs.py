"""The Open311 GeoReport v2 routes in the OpenAPI spec (plain Flask views, so their operations are written here).

Open311 has its own formats: XML (the default, and the bare path) or JSON by suffix, form-encoded POSTs
with an `api_key`, and errors as a list of `code` (the HTTP status) and `description`.
"""
from civic.core.openapi import error_answer
from civic.reporting import schemas

TAG = {"name": "open311", "description": (
    "Open311 GeoReport v2, for FixMyStreet and any Open311 client: no token to read, an `api_key` to send "
    "reports and updates. Each path answers XML (the default, also without the suffix) or JSON (`.json`). "
    "Without `jurisdiction_id` the endpoint is the whole place (service codes are `organisation:category`); "
    "with an organisation's slug, only its services. Only public categories and their reports are shown, never "
    "a reporter's details. Errors are Open311's list of `code` (the HTTP status: 400, 403 or 404) and "
    "`description`. Guide: \"Take reports from FixMyStreet and any Open311 client\" at /docs/guides.")}
FORM = "application/x-www-form-urlencoded"
FORMAT = {"in": "path", "name": "fmt", "required": True, "description": "`json` or `xml` (the bare path is XML).",
          "schema": {"type": "string", "enum": ["json", "xml"]}, "example": "json"}
JURISDICTION = {"in": "query", "name": "jurisdiction_id", "schema": {"type": "string"}, "example": "borough-council",
                "description": "An organisation's slug; leave out for the whole place."}
ERRORS = {"type": "array", "items": {"type": "object", "properties": {
    "code": {"type": "integer"}, "description": {"type": "string"}}}}
REQUEST_ID = schemas.REPORT_ID
SERVICE = {"service_code": "borough-council:pothole", "service_name": "Pothole",
           "description": "A hole in a road, pavement or cycle lane.", "metadata": True, "type": "realtime",
           "keywords": "road, hole, pavement", "group": "Roads"}
REQUEST = {"service_request_id": REQUEST_ID, "status": "open", "status_notes": None, "service_name": "Pothole",
           "service_code": "borough-council:pothole", "description": schemas.REPORT["description"],
           "agency_responsible": "Riverside Borough Council", "service_notice": None,
           "requested_datetime": "2026-11-02T08:40:00Z", "updated_datetime": "2026-11-02T08:40:00Z",
           "expected_datetime": None, "address": "14 Mill Lane, Riverside", "address_id": None, "zipcode": None,
           "lat": 51.4552, "long": -2.5891, "media_url": schemas.REPORT["media_url"]}


def _errors(*cases: tuple[str, int, str]) -> dict:
    """Open311 error answers by status: {status: answer}, one example per code."""
    by_status: dict = {}
    for code, status, text in cases:
        by_status.setdefault(status, {})[code] = [{"code": status, "description": text}]
    return {str(status): error_answer("Open311 errors.", "application/json", ERRORS, examples)
            for status, examples in by_status.items()}


def _answer(example, description: str = "Found.") -> dict:
    return {"200": {"description": description + " XML with the `.xml` suffix or the bare path.", "content": {
        "application/json": {"schema": {"type": "array" if isinstance(example, list) else "object"},
                             "example": example},
        "text/xml": {"schema": {"type": "string"}}}}}


def _get(summary: str, description: str, example, *errors, parameters=()) -> dict:
    return {"tags": ["open311"], "security": [], "summary": summary, "description": description,
            "parameters": [FORMAT, JURISDICTION, *parameters], "responses": {**_answer(example), **_errors(
                ("jurisdiction_not_found", 404, "jurisdiction_id 'nowhere' was not found."), *errors)}}


DATES = [{"in": "query", "name": name, "schema": {"type": "string", "format": "date-time"},
          "example": example} for name, example in (("start_date", "2026-11-01T00:00:00Z"),
                                                   ("end_date", "2026-11-08T00:00:00Z"))]
BAD_DATES = (("bad_date", 400, "start_date must be a W3C date-time with a time zone, e.g. 2026-01-31T00:00:00Z."),
             ("bad_date_range", 400, "end_date is before start_date."),
             ("date_range_too_long", 400, "start_date to end_date may not span more than 90 days."))
API_KEY_ERRORS = (("invalid_api_key", 403, "Invalid api_key received -- can't proceed."),
                  ("component_disabled", 403, "This api_key's organisation does not run reporting."))
JURISDICTION_ERROR = "Errors: `jurisdiction_not_found`"

PATHS = {
    "/open311/v2/discovery.<fmt>": {"get": {
        "tags": ["open311"], "security": [], "parameters": [FORMAT],
        "summary": "Open311 discovery: where this endpoint is and which formats it speaks.",
        "description": "What an Open311 client reads first.",
        "responses": _answer({"changeset": "2026-11-01T00:00:00Z", "contact": "open311@riverside.example",
                              "key_service": "Ask the organisation that takes your reports for an API key.",
                              "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                                             "url": "https://api.riverside.example/open311/v2",
                                             "changeset": "2026-11-01T00:00:00Z", "type": "production",
                                             "formats": ["text/xml", "application/json"]}]})}},
    "/open311/v2/services.<fmt>": {"get": _get(
        "The kinds of problem people can report (public categories).",
        f"`metadata` true means the service asks extra questions (see its definition). {JURISDICTION_ERROR}.",
        [SERVICE])},
    "/open311/v2/services/<code>.<fmt>": {"get": _get(
        "A service's extra questions (its Open311 attributes).",
        f"Answer them as `attribute[code]` when you post a request. {JURISDICTION_ERROR}, `service_not_found`.",
        {"service_code": "borough-council:pothole", "attributes": [{
            "variable": True, "code": "depth", "datatype": "singlevaluelist", "required": True,
            "datatype_description": None, "order": 1, "description": "How deep is it?",
            "values": [{"key": "shallow", "name": "Under 5 cm"}, {"key": "deep", "name": "5 cm or more"}]}]},
        ("service_not_found", 404, "service_code 'borough-council:nothing' was not found."),
        parameters=[{"in": "path", "name": "code", "required": True, "schema": {"type": "string"},
                     "example": "borough-council:pothole"}])},
    "/open311/v2/requests.<fmt>": {
        "get": _get("Reports in public categories, newest first (90 days at a time).",
                    "Filter by `service_request_id` (comma-separated), `service_code`, `status` (open, closed) "
                    f"and dates. {JURISDICTION_ERROR}, `bad_status`, `bad_date`, `bad_date_range`, "
                    "`date_range_too_long`.",
                    [REQUEST], ("bad_status", 400, "status must be open, closed, or both (comma-separated)."),
                    *BAD_DATES, parameters=[
                        {"in": "query", "name": "service_code", "schema": {"type": "string"},
                         "example": "borough-council:pothole"},
                        {"in": "query", "name": "status", "schema": {"type": "string"}, "example": "open"}, *DATES]),
        "post": {"tags": ["open311"], "security": [], "parameters": [FORMAT],
                 "summary": "Send a report (a service request), with your `api_key`.",
                 "description": "The report goes to the organisation that owns the service, which sees it in "
                                "/v1/reporting/reports and gets `civic.reporting.report_created`. The key's "
                                "organisation needs `reporting:write`; a sandbox key's reports stay in the "
                                "sandbox. Give a location: `lat` and `long`, `address_string` or `address_id` "
                                "(a UPRN). Errors: `invalid_api_key`, `component_disabled`, "
                                "`service_code_required`, `service_not_found`, `location_required`, "
                                "`bad_location`, `invalid_attribute`.",
                 "requestBody": {"required": True, "content": {FORM: {"schema": {
                     "type": "object", "required": ["api_key", "service_code"], "properties": {
                         "api_key": {"type": "string"}, "service_code": {"type": "string"},
                         "lat": {"type": "number"}, "long": {"type": "number"}, "address_string": {"type": "string"},
                         "address_id": {"type": "string"}, "description": {"type": "string"},
                         "email": {"type": "string"}, "first_name": {"type": "string"},
                         "last_name": {"type": "string"}, "phone": {"type": "string"},
                         "media_url": {"type": "string"}, "attribute[depth]": {"type": "string"}}},
                     "example": {"api_key": "ak_YOUR_API_KEY", "service_code": "borough-council:pothole",
                                 "lat": 51.4552, "long": -2.5891, "description": schemas.REPORT["description"],
                                 "attribute[depth]": "deep", "email": "priya.shah@example.com",
                                 "first_name": "Priya", "last_name": "Shah"}}}},
                 "responses": {**_answer([{"service_request_id": REQUEST_ID,
                                           "service_notice": "Sent to Riverside Borough Council.",
                                           "account_id": None}], "Received."),
                               **_errors(*API_KEY_ERRORS,
                                         ("service_code_required", 400, "service_code was not provided."),
                                         ("service_not_found", 404, "service_code 'pothole' was not found."),
                                         ("location_required", 400, "Say where: latitude and longitude, an "
                                                                    "address, or a UPRN."),
                                         ("bad_location", 400, "lat must be a number."),
                                         ("invalid_attribute", 400, "Some answers to the category's questions "
                                                                    "are missing or not valid."))}}},
    "/open311/v2/requests/<report_id>.<fmt>": {"get": _get(
        "One report in a public category, with its public status notes.",
        f"{JURISDICTION_ERROR}, `not_found`.", [REQUEST],
        ("not_found", 404, f"service_request_id '{REQUEST_ID}' was not found."),
        parameters=[{"in": "path", "name": "report_id", "required": True, "schema": {"type": "string"},
                     "example": REQUEST_ID}])},
    "/open311/v2/tokens/<token>.<fmt>": {"get": _get(
        "The service request id of a report, from the token given when it was sent.",
        f"{JURISDICTION_ERROR}, `not_found`.", [{"service_request_id": REQUEST_ID, "token": "5f1c9a2e7b3d8e40"}],
        ("not_found", 404, "token '0000' was not found."),
        parameters=[{"in": "path", "name": "token", "required": True, "schema": {"type": "string"},
                     "example": "5f1c9a2e7b3d8e40"}])},
    "/open311/v2/servicerequestupdates.<fmt>": {
        "get": _get("Public updates on reports (FixMyStreet's extension), 90 days at a time.",
                    f"Status changes and public notes. {JURISDICTION_ERROR}, `bad_date`, `bad_date_range`, "
                    "`date_range_too_long`.",
                    [{"update_id": schemas.UPDATE_ID, "service_request_id": REQUEST_ID, "status": "IN_PROGRESS",
                      "updated_datetime": "2026-11-03T11:05:00Z",
                      "description": "A repair crew is booked for Thursday morning.", "media_url": ""}],
                    *BAD_DATES, parameters=DATES),
        "post": {"tags": ["open311"], "security": [], "parameters": [FORMAT],
                 "summary": "Post an update on a report (FixMyStreet's extension), with your `api_key`.",
                 "description": "A citizen's update sent through FixMyStreet: a note, or reopening or closing "
                                "the report. Sends `civic.reporting.status_changed` when the status changes. "
                                "Errors: `invalid_api_key`, `component_disabled`, `missing_parameter`, "
                                "`invalid_status`, `not_found`.",
                 "requestBody": {"required": True, "content": {FORM: {"schema": {
                     "type": "object", "required": ["api_key", "service_request_id", "status"], "properties": {
                         "api_key": {"type": "string"}, "service_request_id": {"type": "string"},
                         "status": {"type": "string"}, "description": {"type": "string"},
                         "update_id": {"type": "string"}, "media_url": {"type": "string"}}},
                     "example": {"api_key": "ak_YOUR_API_KEY", "service_request_id": REQUEST_ID, "status": "OPEN",
                                 "description": "Still there this morning, and getting bigger.",
                                 "update_id": "fms-88231"}}}},
                 "responses": {**_answer([{"update_id": schemas.UPDATE_ID}], "Received."), **_errors(
                     *API_KEY_ERRORS,
                     ("missing_parameter", 400, "service_request_id and status are required."),
                     ("invalid_status", 400, "status 'MAYBE' is not one we know."),
                     ("not_found", 404, f"service_request_id '{REQUEST_ID}' was not found."))}}},
}
