"""The flows API under /v1/flows: HTTP only, one service call per method."""
from flask.views import MethodView
from flask_smorest import Blueprint

from civic.core import etag
from civic.core.auth import current_principal, current_tenant_id, require
from civic.core.pagination import page_schema
from civic.flows import automations, composed, deliveries, schemas, service

GUIDE = """Signed webhooks: your own system is told, within seconds, when something happens on the platform.

1. A tenant admin (or an app with `flows:write`) subscribes a URL to event types: `POST /v1/flows/webhooks`
   with `{"url": "https://...", "event_types": ["civic.booking.*"]}`. The answer shows the signing secret
   (`whsec_...`) once: keep it. Types are exact names from `GET /v1/events/types`, `civic.<component>.*`, or `*`.
2. Each event of your organisation (of the same world: a sandbox client's endpoints get sandbox events only)
   is POSTed to the URL as a CloudEvents 1.0 JSON envelope (ids only, never personal data) with Standard
   Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 `v1,...`):
   verify them with the `standardwebhooks` library, and drop a `webhook-id` you have seen.
3. Answer 2xx within 15 s. Anything else (a redirect too: none is followed) is tried again at once, then
   5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later, never sooner than a 429's or 503's `Retry-After`.
   A 410 Gone disables the endpoint; so do 5 days without a success (`civic.flows.endpoint_disabled`).

Every delivery and attempt is listed (`/webhooks/{id}/deliveries`), can be replayed, and every failed one
since a time recovered at once. Rotating the secret keeps the old one signing for 24 hours too. URLs must
be https and public: private, loopback, link-local and metadata addresses are refused at every delivery.

Automations: "when this event happens and this holds, do these steps", without code. `POST
/v1/flows/automations` with a `trigger` (an event type), a `condition` in Common Expression Language over
`event` (`event.data.category == "fly-tipping"`) and `steps`, each an action (`GET /v1/flows/actions`) with
an input whose `{{ event.data.report_id }}` or `{{ steps.0.output.id }}` placeholders are filled in. Every run
is recorded (`/automations/{id}/runs`) with each step's input and output or error; a failed run is retried
from the step that failed (`/runs/{id}/retry`); `/automations/{id}/dry-run` shows what a sample event would
do. An automation runs with the scopes its steps need, which whoever saved it must hold; one started again
by what its own steps did is stopped (a loop).

Composed services: a whole public service without code. `POST /v1/flows/services` publishes a `form` (a
JSON Schema of the citizen's answers) and `steps`: actions with `{{ form.x }}` placeholders and what to
`undo` if a later step fails, and waits for an event (a payment succeeding) with a time-out. Your website
submits the citizen's answers (`POST /v1/flows/services/{slug}/submissions`); the answer says where the
submission is and what the citizen must do `next` (the payment's client secret), until it is `completed`
or `failed` with the steps before undone. Publishing again makes a new version; a submission keeps its own.

Errors carry a stable `code`: `event_type_unknown`, `webhook_url_refused`, `endpoint_not_changeable`,
`delivery_pending`, `flows_admin_required`, `automation_invalid`, `automation_scope_not_held`,
`run_not_failed`, `service_invalid`, `service_exists`, `service_retired`, `form_invalid`."""

blp = Blueprint("flows", __name__, url_prefix="/v1/flows", description=GUIDE)
READ, WRITE = "flows:read", "flows:write"


@blp.route("/actions")
class Actions(MethodView):
    @require(READ)
    @blp.response(200, schemas.ActionListSchema)
    def get(self):
        """List what your flows can ask the platform to do.

        Needs `flows:read`. Each action names its component (only the components your organisation has
        switched on are listed), what it does, the scope whoever the flow runs for must hold, and the JSON
        Schemas of its input and output. A flow's step names an action and gives its input."""
        return service.list_actions(tenant_id=current_tenant_id())


@blp.route("/webhooks")
class Endpoints(MethodView):
    @require(READ)
    @blp.arguments(schemas.EndpointQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.EndpointSchema))
    def get(self, query):
        """List your webhook endpoints.

        Needs `flows:read`. Newest last, 20 a page (`limit`, then `after` with the `next` cursor), filtered by
        `status`; secrets are never shown. Errors: `invalid_cursor`."""
        return service.list_endpoints(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.EndpointSchema)
    @blp.response(201, schemas.EndpointSchema)
    def post(self, data):
        """Subscribe a URL of yours to event types; the signing secret is shown this once.

        Needs `flows:write` (a signed-in person must be a tenant admin). From now on each matching event of
        your organisation is delivered to it (at most 20 endpoints in each world). Errors: `event_type_unknown`,
        `webhook_url_refused`, `endpoint_limit_reached`, `flows_admin_required`, `validation_failed`."""
        return etag.tagged(service.create_endpoint(tenant_id=current_tenant_id(), principal=current_principal(),
                                                   **data), 201)


@blp.route("/webhooks/<endpoint_id>")
class EndpointById(MethodView):
    @require(READ)
    @blp.response(200, schemas.EndpointSchema)
    def get(self, endpoint_id):
        """One webhook endpoint (never its secret).

        Needs `flows:read`. With its `ETag`, to send as `If-Match` when you change it. Errors: `not_found`."""
        return etag.tagged(service.get_endpoint(tenant_id=current_tenant_id(), endpoint_id=endpoint_id))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.EndpointUpdateSchema(partial=True))
    @blp.response(200, schemas.EndpointSchema)
    def patch(self, data, endpoint_id):
        """Change an endpoint's URL, event types, description, reference or metadata.

        Needs `flows:write` (a signed-in person must be a tenant admin). New events follow the change;
        deliveries already made keep their URL's answer. Errors: `event_type_unknown`, `webhook_url_refused`,
        `precondition_failed`, `flows_admin_required`, `not_found`."""
        return etag.tagged(service.update_endpoint(tenant_id=current_tenant_id(), principal=current_principal(),
                                                   endpoint_id=endpoint_id, if_match=etag.if_match(), **data))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.response(204)
    def delete(self, endpoint_id):
        """Delete an endpoint and its delivery log.

        Needs `flows:write` (a signed-in person must be a tenant admin). Nothing more is sent to it.
        Errors: `precondition_failed`, `flows_admin_required`, `not_found`."""
        service.delete_endpoint(tenant_id=current_tenant_id(), principal=current_principal(),
                                endpoint_id=endpoint_id, if_match=etag.if_match())


@blp.route("/webhooks/<endpoint_id>/pause")
class EndpointPause(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.response(200, schemas.EndpointSchema)
    def post(self, endpoint_id):
        """Pause an endpoint: nothing is sent to it until it is resumed.

        Needs `flows:write` (a signed-in person must be a tenant admin). Events while it is paused are not
        delivered to it; deliveries already under way wait and go when it is resumed.
        Errors: `endpoint_not_changeable`, `precondition_failed`, `flows_admin_required`, `not_found`."""
        return etag.tagged(service.pause_endpoint(tenant_id=current_tenant_id(), principal=current_principal(),
                                                  endpoint_id=endpoint_id,
                                                  if_match=etag.if_match()))


@blp.route("/webhooks/<endpoint_id>/resume")
class EndpointResume(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.response(200, schemas.EndpointSchema)
    def post(self, endpoint_id):
        """Resume a paused or disabled endpoint; deliveries that waited are sent now.

        Needs `flows:write` (a signed-in person must be a tenant admin).
        Errors: `endpoint_not_changeable`, `precondition_failed`, `flows_admin_required`, `not_found`."""
        return etag.tagged(service.resume_endpoint(tenant_id=current_tenant_id(), principal=current_principal(),
                                                   endpoint_id=endpoint_id,
                                                   if_match=etag.if_match()))


@blp.route("/webhooks/<endpoint_id>/rotate-secret")
class EndpointRotate(MethodView):
    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.response(200, schemas.EndpointSchema)
    def post(self, endpoint_id):
        """Make a new signing secret, shown this once; the old one keeps signing for 24 hours.

        Needs `flows:write` (a signed-in person must be a tenant admin). Until `previous_secret_expires_at`
        each delivery carries two `v1,` signatures, one per secret, so either verifies.
        Errors: `precondition_failed`, `flows_admin_required`, `not_found`."""
        return etag.tagged(service.rotate_secret(tenant_id=current_tenant_id(), principal=current_principal(),
                                                 endpoint_id=endpoint_id, if_match=etag.if_match()))


@blp.route("/webhooks/<endpoint_id>/test")
class EndpointTest(MethodView):
    @require(WRITE)
    @blp.response(202, schemas.DeliverySchema)
    def post(self, endpoint_id):
        """Send a `civic.flows.test` event to this endpoint only.

        Needs `flows:write` (a signed-in person must be a tenant admin). It is delivered like any event
        (signed, retried, logged): follow the delivery answered. Errors: `flows_admin_required`, `not_found`."""
        return deliveries.send_test(tenant_id=current_tenant_id(), principal=current_principal(),
                                    endpoint_id=endpoint_id)


@blp.route("/webhooks/<endpoint_id>/deliveries")
class EndpointDeliveries(MethodView):
    @require(READ)
    @blp.arguments(schemas.DeliveryQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.DeliverySchema))
    def get(self, query, endpoint_id):
        """List an endpoint's deliveries, by `status` (pending, succeeded, failed) or `event_type`.

        Needs `flows:read`. Oldest first, 20 a page (`limit`, then `after`). Errors: `invalid_cursor`, `not_found`."""
        return deliveries.list_deliveries(tenant_id=current_tenant_id(), endpoint_id=endpoint_id, **query)


@blp.route("/webhooks/<endpoint_id>/recover")
class EndpointRecover(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.RecoverSchema)
    @blp.response(202, schemas.RecoveredSchema)
    def post(self, data, endpoint_id):
        """Send again every failed delivery of this endpoint made since a time.

        Needs `flows:write` (a signed-in person must be a tenant admin). Each gets one attempt now (its
        result in its attempt log), up to 500 a call: when `more` is true, call again for the rest.
        Errors: `validation_failed`, `flows_admin_required`, `not_found`."""
        return deliveries.recover(tenant_id=current_tenant_id(), principal=current_principal(),
                                  endpoint_id=endpoint_id, **data)


@blp.route("/deliveries/<delivery_id>")
class DeliveryById(MethodView):
    @require(READ)
    @blp.response(200, schemas.DeliveryDetailSchema)
    def get(self, delivery_id):
        """One delivery: the CloudEvent sent and every attempt (answer code, latency, error, next attempt).

        Needs `flows:read`. Errors: `not_found`."""
        return deliveries.get_delivery(tenant_id=current_tenant_id(), delivery_id=delivery_id)


@blp.route("/deliveries/<delivery_id>/replay")
class DeliveryReplay(MethodView):
    @require(WRITE)
    @blp.response(202, schemas.DeliveryDetailSchema)
    def post(self, delivery_id):
        """Send a delivery again now (one attempt), whether it succeeded or failed.

        Needs `flows:write` (a signed-in person must be a tenant admin). The receiver sees the same
        `webhook-id`. Errors: `delivery_pending`, `flows_admin_required`, `not_found`."""
        return deliveries.replay(tenant_id=current_tenant_id(), principal=current_principal(), delivery_id=delivery_id)


# --- automations ------------------------------------------------------------------------------
@blp.route("/automations")
class Automations(MethodView):
    @require(READ)
    @blp.arguments(schemas.AutomationQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.AutomationSchema))
    def get(self, query):
        """List your automations.

        Needs `flows:read`. Oldest first, 20 a page (`limit`, then `after`), filtered by `status`.
        Errors: `invalid_cursor`."""
        return automations.list_automations(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.AutomationSchema)
    @blp.response(201, schemas.AutomationSchema)
    def post(self, data):
        """Create an automation: when an event happens and its condition holds, run its steps.

        Needs `flows:write` (a signed-in person must be a tenant admin) and every scope its steps need: it
        runs with those. Checked now: the trigger, the CEL condition, each step's action, its input's fields
        and its placeholders. From then on each matching event of your organisation (in your world) starts a
        run, recorded with each step's input and output (`.../runs`). Errors: `automation_invalid`,
        `event_type_unknown`, `automation_scope_not_held`, `flows_admin_required`, `validation_failed`."""
        return etag.tagged(automations.create(tenant_id=current_tenant_id(), principal=current_principal(), **data),
                           201)


@blp.route("/automations/<automation_id>")
class AutomationById(MethodView):
    @require(READ)
    @blp.response(200, schemas.AutomationSchema)
    def get(self, automation_id):
        """One automation, with its `ETag`.

        Needs `flows:read`. Errors: `not_found`."""
        return etag.tagged(automations.get(tenant_id=current_tenant_id(), automation_id=automation_id))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.AutomationUpdateSchema(partial=True))
    @blp.response(200, schemas.AutomationSchema)
    def patch(self, data, automation_id):
        """Change an automation (its version goes up); pause it with `{"status": "paused"}`.

        Needs `flows:write` (a signed-in person must be a tenant admin) and the scopes its steps need.
        Checked as on create. Errors: `automation_invalid`, `event_type_unknown`, `automation_scope_not_held`,
        `precondition_failed`, `flows_admin_required`, `not_found`."""
        return etag.tagged(automations.update(tenant_id=current_tenant_id(), principal=current_principal(),
                                              automation_id=automation_id, if_match=etag.if_match(), **data))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.response(204)
    def delete(self, automation_id):
        """Delete an automation and its runs.

        Needs `flows:write` (a signed-in person must be a tenant admin). Errors: `precondition_failed`,
        `flows_admin_required`, `not_found`."""
        automations.delete(tenant_id=current_tenant_id(), principal=current_principal(),
                           automation_id=automation_id, if_match=etag.if_match())


@blp.route("/automations/<automation_id>/dry-run")
class AutomationDryRun(MethodView):
    @require(READ)
    @blp.arguments(schemas.AutomationSampleSchema)
    @blp.response(200, schemas.AutomationDryRunSchema)
    def post(self, data, automation_id):
        """Try an automation on a sample event: what it would do, doing nothing.

        Needs `flows:read`. Whether the event triggers it, the condition's answer, and each step's input as
        it would be sent, with what its action would refuse. Nothing is run or recorded.
        Errors: `not_found`, `validation_failed`."""
        return automations.dry_run(tenant_id=current_tenant_id(), automation_id=automation_id, **data)


@blp.route("/automations/<automation_id>/runs")
class AutomationRuns(MethodView):
    @require(READ)
    @blp.arguments(schemas.AutomationRunQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.AutomationRunSchema))
    def get(self, query, automation_id):
        """List an automation's runs, oldest first (filter by `status`).

        Needs `flows:read`. Each run shows each step's input, output (ids and states) or error.
        Errors: `invalid_cursor`, `not_found`."""
        return automations.list_runs(tenant_id=current_tenant_id(), automation_id=automation_id, **query)


@blp.route("/runs/<run_id>")
class RunById(MethodView):
    @require(READ)
    @blp.response(200, schemas.AutomationRunSchema)
    def get(self, run_id):
        """One run of an automation: what happened at each step.

        Needs `flows:read`. Errors: `not_found`."""
        return automations.get_run(tenant_id=current_tenant_id(), run_id=run_id)


@blp.route("/runs/<run_id>/retry")
class RunRetry(MethodView):
    @require(WRITE)
    @blp.response(200, schemas.AutomationRunSchema)
    def post(self, run_id):
        """Run a failed run again from the step that failed (the steps before it are not repeated).

        Needs `flows:write` (a signed-in person must be a tenant admin) and the scopes the steps need. Uses
        the outputs the earlier steps gave; a run whose automation was paused or changed since is not retried.
        Errors: `run_not_failed`, `automation_scope_not_held`, `flows_admin_required`, `not_found`."""
        return automations.retry(tenant_id=current_tenant_id(), principal=current_principal(), run_id=run_id)


# --- composed services ---------------------------------------------------------------------------
@blp.route("/services")
class Services(MethodView):
    @require(READ)
    @blp.arguments(schemas.ServiceQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.ServiceSchema))
    def get(self, query):
        """List your services (each at its latest version).

        Needs `flows:read`. Oldest first, 20 a page (`limit`, then `after`), filtered by `status`.
        Errors: `invalid_cursor`."""
        return composed.list_services(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.ServiceSchema)
    @blp.response(201, schemas.ServiceSchema)
    def post(self, data):
        """Publish a service: a form for the citizen and the steps that carry it out.

        Needs `flows:write` (a signed-in person must be a tenant admin) and every scope its steps need: its
        submissions run with those. Checked now: the form (a JSON Schema of an object), each step's action,
        its input's fields and placeholders, each wait's event types. Then anyone your app lets in can
        submit it (`POST /v1/flows/services/{slug}/submissions`). Errors: `service_invalid`, `service_exists`,
        `automation_scope_not_held`, `flows_admin_required`, `validation_failed`."""
        return etag.tagged(composed.publish(tenant_id=current_tenant_id(), principal=current_principal(), **data), 201)


@blp.route("/services/<slug>")
class ServiceBySlug(MethodView):
    @require(READ)
    @blp.response(200, schemas.ServiceSchema)
    def get(self, slug):
        """One service at its latest version, with its `ETag`.

        Needs `flows:read`. Errors: `not_found`."""
        return etag.tagged(composed.get_service(tenant_id=current_tenant_id(), slug=slug))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.ServiceVersionSchema)
    @blp.response(200, schemas.ServiceSchema)
    def put(self, data, slug):
        """Publish a new version of a service (the whole definition); it takes submissions again if retired.

        Needs `flows:write` (a signed-in person must be a tenant admin) and the scopes its steps need. Checked
        as on publishing. Submissions already under way keep the version they started with.
        Errors: `service_invalid`, `automation_scope_not_held`, `precondition_failed`, `flows_admin_required`,
        `not_found`, `validation_failed`."""
        return etag.tagged(composed.publish_version(tenant_id=current_tenant_id(), principal=current_principal(),
                                                    slug=slug, if_match=etag.if_match(), **data))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.response(200, schemas.ServiceSchema)
    def delete(self, slug):
        """Retire a service: it takes no new submissions; those under way go on to their end.

        Needs `flows:write` (a signed-in person must be a tenant admin). Publish a new version to open it
        again. Errors: `precondition_failed`, `flows_admin_required`, `not_found`."""
        return etag.tagged(composed.retire(tenant_id=current_tenant_id(), principal=current_principal(), slug=slug,
                                           if_match=etag.if_match()))


@blp.route("/services/<slug>/versions/<version>")
class ServiceVersion(MethodView):
    @require(READ)
    @blp.response(200, schemas.ServiceSchema)
    def get(self, slug, version):
        """One version of a service as it was published (the one an older submission runs to its end).

        Needs `flows:read`. `current` says whether new submissions use it. Errors: `not_found`."""
        return composed.get_version(tenant_id=current_tenant_id(), slug=slug, version=version)


@blp.route("/services/<slug>/submissions")
class ServiceSubmissions(MethodView):
    @require(READ)
    @blp.arguments(schemas.SubmissionQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.SubmissionAnswerSchema))
    def get(self, query, slug):
        """List a service's submissions, oldest first (filter by `status`).

        Needs `flows:read`. Each shows its steps' inputs, outputs (ids and states) or errors.
        Errors: `invalid_cursor`, `not_found`."""
        return composed.list_submissions(tenant_id=current_tenant_id(), slug=slug, **query)

    @require(WRITE)
    @blp.arguments(schemas.SubmissionSchema)
    @blp.response(201, schemas.SubmissionAnswerSchema)
    def post(self, data, slug):
        """Submit a citizen's answers to a service: it starts at once.

        Needs `flows:write` (your website or app sends it for the citizen). The answers are checked against
        the service's form first (nothing starts if one is wrong); then its steps run until one waits (the
        answer's `next` says what the citizen must do, such as pay with the `client_secret`), one fails (the
        steps before it are undone: `undone`) or all are done. Send an `Idempotency-Key`: a retry gets the
        same submission. Errors: `form_invalid`, `service_retired`, `not_found`, `validation_failed`."""
        return composed.submit(tenant_id=current_tenant_id(), principal=current_principal(), slug=slug, **data)


@blp.route("/submissions/<submission_id>")
class SubmissionById(MethodView):
    @require(READ)
    @blp.response(200, schemas.SubmissionAnswerSchema)
    def get(self, submission_id):
        """One submission: its state, each step, and what the citizen must do next.

        Needs `flows:read`. Poll it while the citizen pays: `status` becomes `completed`, or `failed` with
        `reason` and what was undone (`needs_attention` when some undoing did not work). `next` is shown to
        the app that submitted it only. Errors: `not_found`."""
        return composed.get_submission(tenant_id=current_tenant_id(), submission_id=submission_id)
