"""The error codes the flows component answers with (generic ones stay the core's)."""
from civic.core.errors import declare

EVENT_TYPE_UNKNOWN = declare(
    "event_type_unknown", 422, "No such event type",
    means="An event type is not in the event catalogue (GET /v1/events/types) of the components your "
          "organisation runs, or a wildcard names no such component.",
    action="Use exact type names such as `civic.booking.created`, `civic.<component>.*` or `*`.")
URL_REFUSED = declare(
    "webhook_url_refused", 422, "That URL cannot be sent to",
    means="A webhook URL must be https (http only where the platform allows it), name a host, carry no "
          "user name or password, and not be a private, loopback, link-local or metadata address.",
    action="Give a public https URL of your own system.")
ENDPOINT_NOT_CHANGEABLE = declare(
    "endpoint_not_changeable", 409, "The endpoint cannot change that way",
    means="Only an active endpoint can be paused, and only a paused or disabled one resumed.",
    action="Read the endpoint's status first.")
DELIVERY_PENDING = declare(
    "delivery_pending", 409, "The delivery is still being sent",
    means="A pending delivery is sent on its schedule already; replay is for one that succeeded or failed.",
    action="Wait for it to finish (GET the delivery), or replay it then.")
ADMIN_REQUIRED = declare(
    "flows_admin_required", 403, "Only a tenant admin may do that",
    means="Webhook endpoints send your organisation's events outside the platform: a signed-in person "
          "must be a tenant admin to create, change, pause, resume, rotate, test or delete one, or to "
          "replay or recover its deliveries (an app needs flows:write).",
    action="Ask a tenant admin of your organisation.")
ENDPOINT_LIMIT = declare(
    "endpoint_limit_reached", 409, "Too many webhook endpoints",
    means="An organisation has at most FLOWS_MAX_ENDPOINTS endpoints in each world (live and sandbox), so "
          "that one organisation's events cannot be multiplied into a flood of requests.",
    action="Delete an endpoint you no longer use, or subscribe one endpoint to more event types.")
AUTOMATION_INVALID = declare(
    "automation_invalid", 422, "The automation is not valid",
    means="A trigger, condition or step cannot be used: `errors` names where (`condition`, `steps.1.action`, "
          "`steps.0.input`...) and why: an action not offered, a field the action does not take, a placeholder "
          "that is not a path, a condition that is not a CEL expression.",
    action="Fix what `errors` names; GET /v1/flows/actions lists the actions and their inputs.")
SCOPES_NOT_HELD = declare(
    "automation_scope_not_held", 403, "You cannot give an automation that power",
    means="An automation runs with the scopes its steps need, and only someone who holds them may save it.",
    action="Save it with a token that holds the scopes named, or leave out the steps that need them.")
RUN_NOT_FAILED = declare(
    "run_not_failed", 409, "Only a failed run can be retried",
    means="A run that succeeded, was skipped (its condition was false) or was stopped (a loop) is not retried, "
          "nor one whose automation was paused or changed since it ran.",
    action="Read the run's status first; a changed automation runs as it is now on the next event.")
SERVICE_INVALID = declare(
    "service_invalid", 422, "The service definition is not valid",
    means="The form or a step cannot be used: `errors` names where (`form.properties.email`, `steps.2.match`, "
          "`steps.0.undo.input`...) and why: a form that is not a JSON Schema of an object, an action not "
          "offered or a field it does not take, a placeholder that is not a path from form, submission or an "
          "earlier step, a wait for an event type that is not in the catalogue.",
    action="Fix what `errors` names; GET /v1/flows/actions lists the actions and their inputs.")
SERVICE_EXISTS = declare(
    "service_exists", 409, "A service with that slug exists",
    means="Each slug names one service of your organisation; its later versions are published on its own URL.",
    action="PUT /v1/flows/services/{slug} to publish a new version, or choose another slug.")
SERVICE_RETIRED = declare(
    "service_retired", 409, "The service takes no new submissions",
    means="The organisation retired the service. Submissions already under way go on to their end.",
    action="Publish a new version (PUT /v1/flows/services/{slug}) to open it again.")
FORM_INVALID = declare(
    "form_invalid", 422, "The answers do not fit the form",
    means="Some answers are missing or not what the service's form asks for: `errors` names each by its "
          "place in the answers (`email`, `items.0`) with the reason. Nothing was started.",
    action="Fix the answers named and send them again; GET /v1/flows/services/{slug} shows the form.")
