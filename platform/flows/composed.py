"""Composed services: a form for the citizen and the steps that carry it out, published by an organisation.

Keyword-only, tenant first; flush only. A definition (`slug`, `title`, `form`: a JSON Schema of the
citizen's answers, `steps`) is checked when published, as an automation is: each action step names an
action of a component the organisation runs, with the action's own fields, and placeholders that are paths
from `form`, `submission` (its `id`, `reference`) and earlier `steps`; whoever publishes must hold every
scope its steps need, and its submissions run with those and no others. Publishing again makes a new
version; a submission keeps the version it started with to its end.

Steps:
- an action: `{"action", "input", "undo"}`, where the optional `undo` (`{"action", "input"}`) is what to
  do if a later step fails (release the hold, cancel the payment); undo steps run last first;
- a wait: `{"wait_for": "<event type>", "match": {"<field of its data>": "{{ steps.1.output.id }}"},
  "fails_on": [event types], "timeout_minutes": N, "next": {...}}`. The submission waits until an event
  of the organisation (in its world) of that type carries that value; an event of `fails_on`, or the time
  running out, fails it. `next` is what the citizen must do meanwhile (the payment's client secret): kept
  encrypted, answered only while it waits. The wait's output is the event's data (ids and states).

Submitting checks the answers against the form (422 `form_invalid`, each error at its JSON path), then
runs the steps at once until one waits, one fails, or the last is done. A step runs in a savepoint
(`automations.attempt`): a failed one leaves nothing half-written, and the steps before it are undone.
Each step's output is kept as ids and states only; the answers are kept encrypted while the submission
runs (later steps use them) and cleared when it ends.
"""
import datetime as dt
import json
import uuid

import jsonschema
import sqlalchemy as sa

from civic.core import audit, crypto, etag, jobs
from civic.core.auth import Principal
from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.pagination import paginate
from civic.core.tenancy import get_scoped, in_world, scoped
from civic.flows import automations, events, problems, service, templating
from civic.flows.models import ComposedService, Submission

TIMEOUT_JOB = "flows.submission_timeout"
ROOTS = ("form", "submission", "steps")
MAX_STEPS = 12
MAX_WAIT_MINUTES = 7 * 24 * 60
FORM_MAX_CHARS = 20_000
FORM_ERRORS_SHOWN = 50


def _invalid(location: str, message: str):
    return problems.SERVICE_INVALID(f"{location}: {message}", errors={location: [message]})


# --- checking a definition ------------------------------------------------------------------
def _check_form(form: dict) -> None:
    if len(json.dumps(form)) > FORM_MAX_CHARS:
        raise _invalid("form", f"At most {FORM_MAX_CHARS} characters of JSON Schema.")
    if form.get("type") != "object":
        raise _invalid("form", 'The form is a JSON Schema with "type": "object" (its properties are the questions).')
    try:
        jsonschema.Draft202012Validator.check_schema(form)
    except jsonschema.SchemaError as exc:
        where = ".".join(str(part) for part in exc.path)
        raise _invalid(f"form{'.' + where if where else ''}", exc.message[:300]) from None

    def local_refs_only(value, path):  # a form never makes the platform fetch another document
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("$ref", "$dynamicRef") and not (isinstance(inner, str) and inner.startswith("#")):
                    raise _invalid(f"{path}.{key}", "Only references within the form (#/...) are allowed.")
                local_refs_only(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for number, inner in enumerate(value):
                local_refs_only(inner, f"{path}.{number}")

    local_refs_only(form, "form")


def _check_wait(step: dict, location: str, before: int) -> list[str]:
    """The event types a wait step listens for (refusing one that is not valid)."""
    types = [step["wait_for"], *step.get("fails_on", [])]
    for name in types:
        if "*" in name:
            raise _invalid(f"{location}.wait_for", "A wait names exact event types, not wildcards.")
    try:
        service.check_event_types(types)
    except Exception as exc:  # noqa: BLE001 - event_type_unknown, said where it is in the definition
        raise _invalid(f"{location}.wait_for", getattr(exc, "detail", str(exc))) from None
    if len(step["match"]) != 1:
        raise _invalid(f"{location}.match", "Match one field of the event's data, such as payment_id.")
    for part, template in (("match", step["match"]), ("next", step.get("next") or {})):
        try:
            templating.check(template, step=before, roots=ROOTS)
        except templating.Unfilled as exc:
            raise _invalid(f"{location}.{part}", str(exc)) from None
    return types


def _checked(*, tenant_id, principal, form: dict, steps: list[dict]) -> tuple[list[str], list[str]]:
    """(the scopes the steps need, the event types its waits listen for), refusing what is not valid."""
    _check_form(form)
    if not 1 <= len(steps) <= MAX_STEPS:
        raise _invalid("steps", f"One to {MAX_STEPS} steps.")
    needed, waits = set(), []
    for number, step in enumerate(steps):
        location = f"steps.{number}"
        if "wait_for" in step:
            waits.extend(_check_wait(step, location, number))
            continue
        needed.add(automations.action_step(tenant_id=tenant_id, principal=principal, step=step, location=location,
                                           before=number, roots=ROOTS, invalid=_invalid))
        if step.get("undo"):
            needed.add(automations.action_step(tenant_id=tenant_id, principal=principal, step=step["undo"],
                                               location=f"{location}.undo", before=number + 1, roots=ROOTS,
                                               invalid=_invalid))
    return automations.scopes_held(principal, needed), sorted(set(waits))


# --- definitions ------------------------------------------------------------------------------
def _current(tenant_id: uuid.UUID, slug: str, *, lock: bool = False) -> ComposedService | None:
    query = scoped(ComposedService, tenant_id).where(ComposedService.slug == slug, ComposedService.current.is_(True))
    return session.scalars(query.with_for_update() if lock else query).first()


def get_service(*, tenant_id: uuid.UUID, slug: str, lock: bool = False) -> ComposedService:
    """The version new submissions use (active or retired)."""
    found = _current(tenant_id, slug, lock=lock)
    if found is None:
        raise not_found("service")
    return found


def _version(*, tenant_id, principal, slug: str, version: int, **fields) -> ComposedService:
    scopes, waits = _checked(tenant_id=tenant_id, principal=principal, form=fields["form"], steps=fields["steps"])
    published = ComposedService(id=uuid.uuid4(), tenant_id=tenant_id, slug=slug, version=version, current=True,
                                status="active", scopes=scopes, waits_for=waits, **fields)
    session.add(published)
    session.flush()
    audit.record("flows.service_published", tenant_id=tenant_id, subject_type="flows_service",
                 subject_id=published.id, detail={"slug": slug, "version": version,
                                                  "actions": [s["action"] for s in fields["steps"] if "action" in s]})
    return published


def publish(*, tenant_id: uuid.UUID, principal, slug: str, **fields) -> ComposedService:
    """Version 1 of a new service (a slug already used is a 409: publish a new version with PUT)."""
    service.admin_only(principal)
    if _current(tenant_id, slug) is not None:
        raise problems.SERVICE_EXISTS(f"A service {slug!r} exists: PUT /v1/flows/services/{slug} publishes a new version.")
    return _version(tenant_id=tenant_id, principal=principal, slug=slug, version=1, **fields)


def publish_version(*, tenant_id: uuid.UUID, principal, slug: str, if_match: str | None = None,
                    **fields) -> ComposedService:
    """A new version of a service (active again if it was retired); submissions under way keep theirs."""
    service.admin_only(principal)
    before = get_service(tenant_id=tenant_id, slug=slug, lock=True)
    etag.check(before, if_match)
    before.current = False
    session.flush()
    return _version(tenant_id=tenant_id, principal=principal, slug=slug, version=before.version + 1, **fields)


def retire(*, tenant_id: uuid.UUID, principal, slug: str, if_match: str | None = None) -> ComposedService:
    """No new submissions (409 `service_retired`); those under way go on to their end."""
    service.admin_only(principal)
    found = get_service(tenant_id=tenant_id, slug=slug, lock=True)
    etag.check(found, if_match)
    found.status, found.updated_at = "retired", utcnow()
    session.flush()
    audit.record("flows.service_retired", tenant_id=tenant_id, subject_type="flows_service", subject_id=found.id,
                 detail={"slug": slug, "version": found.version})
    return found


def list_services(*, tenant_id: uuid.UUID, status: str | None = None, limit: int = 20,
                  after: str | None = None) -> dict:
    query = scoped(ComposedService, tenant_id).where(ComposedService.current.is_(True))
    if status:
        query = query.where(ComposedService.status == status)
    return paginate(query, ComposedService, limit=limit, after=after)


def waits_query(tenant_id: uuid.UUID):
    """("service", its waits' event types as JSON) of every version (one retired may still have submissions)."""
    return scoped(ComposedService, tenant_id).with_only_columns(
        sa.literal("service"), sa.cast(ComposedService.waits_for, sa.Text))


# --- submissions ---------------------------------------------------------------------------------
def _form_errors(form_schema: dict, given: dict) -> dict:
    validator = jsonschema.Draft202012Validator(form_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    found: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(given), key=lambda e: list(map(str, e.path)))[:FORM_ERRORS_SHOWN]:
        where = ".".join(str(part) for part in error.path) or "form"
        found.setdefault(where, []).append(error.message[:300])
    return found


def submit(*, tenant_id: uuid.UUID, slug: str, form: dict, reference: str | None = None,
           metadata_: dict | None = None) -> Submission:
    """Check the answers against the form, then run the steps until one waits, one fails or all are done."""
    definition = get_service(tenant_id=tenant_id, slug=slug)
    if definition.status != "active":
        raise problems.SERVICE_RETIRED(f"The service {slug!r} takes no new submissions.")
    errors = _form_errors(definition.form, form)
    if errors:
        raise problems.FORM_INVALID("Some answers do not fit the form: `errors` says which and why.", errors=errors)
    submission = Submission(id=uuid.uuid4(), tenant_id=tenant_id, service_id=definition.id, slug=slug,
                            service_version=definition.version, status="waiting", step=0, steps=[], undone=[],
                            form_encrypted=crypto.encrypt(json.dumps(form)), reference=reference,
                            metadata_=metadata_ or {}, sandbox=definition.sandbox)
    session.add(submission)
    session.flush()
    _advance(submission, definition, form, start=0, outputs=[])
    audit.personal_data_changed(component="flows", subject_type="flows_submission", ids=[submission.id],
                                tenant_id=tenant_id)
    return submission


def _principal(definition: ComposedService) -> Principal:
    return Principal(tenant_id=definition.tenant_id, client_id=f"service:{definition.id}",
                     scopes=frozenset(definition.scopes), sandbox=definition.sandbox)


def _context(submission: Submission, form: dict, outputs: list[dict]) -> dict:
    return {"form": form, "submission": {"id": str(submission.id), "reference": submission.reference},
            "steps": outputs}


def _ended(submission: Submission, status: str, step: int, reason: str | None = None) -> None:
    submission.status, submission.step, submission.reason = status, step, reason
    submission.form_encrypted = submission.next_encrypted = None
    submission.waiting_field = submission.waiting_value = submission.waiting_until = None
    submission.updated_at = utcnow()
    session.flush()
    ended = events.SUBMISSION_COMPLETED if status == "completed" else events.SUBMISSION_FAILED
    ended.emit(tenant_id=submission.tenant_id, subject=str(submission.id), data={
        "submission_id": str(submission.id), "slug": submission.slug, "service_version": submission.service_version,
        "step": step, "sandbox": submission.sandbox})


def _advance(submission: Submission, definition: ComposedService, form: dict, *, start: int, outputs: list[dict],
             chain: list[str] = ()) -> None:
    """Run the steps from `start` (the outputs of those before given, whole where this process has them)."""
    context = _context(submission, form, list(outputs))
    recorded = list(submission.steps[:start])
    for number in range(start, len(definition.steps)):
        step = definition.steps[number]
        if "wait_for" in step:
            (field, template), = step["match"].items()
            try:
                value = templating.render(template, context)
                shown = templating.render(step["next"], context) if step.get("next") else None
            except templating.Unfilled as exc:
                recorded.append({"wait_for": step["wait_for"], "status": "failed", "input": None, "output": None,
                                 "error": {"code": "input_unfilled", "detail": str(exc)}})
                submission.steps = list(recorded)  # a new list: the JSON column sees the change
                return _fail(submission, definition, context, number, f"Step {number} could not start: input_unfilled.")
            recorded.append({"wait_for": step["wait_for"], "status": "waiting", "input": {field: value},
                             "output": None, "error": None})
            submission.steps, submission.status, submission.step = list(recorded), "waiting", number
            submission.waiting_field, submission.waiting_value = field, str(value)[:255]
            submission.waiting_until = utcnow() + dt.timedelta(minutes=step["timeout_minutes"])
            submission.next_encrypted = crypto.encrypt(json.dumps(shown)) if shown else None
            submission.updated_at = utcnow()
            jobs.enqueue(TIMEOUT_JOB, {"submission_id": str(submission.id), "step": number,
                                       "sandbox": submission.sandbox},
                         tenant_id=submission.tenant_id, run_at=submission.waiting_until)
            session.flush()
            return None
        entry = {"action": step["action"], "status": "failed", "input": None, "output": None, "error": None}
        output = None
        try:
            entry["input"] = templating.render(step.get("input") or {}, context)
        except templating.Unfilled as exc:
            entry["error"] = {"code": "input_unfilled", "detail": str(exc)}
        else:
            output, entry["error"] = automations.attempt(step["action"], entry["input"], tenant_id=submission.tenant_id,
                                                         principal=_principal(definition), chain=list(chain))
            if entry["error"] is None:
                entry["status"], entry["output"] = "succeeded", automations.kept(output)
        recorded.append(entry)
        context["steps"] = [*context["steps"][:number], {"output": output if isinstance(output, dict) else {}}]
        submission.steps = list(recorded)  # a new list: the JSON column sees the change
        if entry["status"] == "failed":
            return _fail(submission, definition, context, number,
                         f"Step {number} ({step['action']}) failed: {entry['error']['code']}.")
    _ended(submission, "completed", len(definition.steps))
    return None


def _fail(submission: Submission, definition: ComposedService, context: dict, number: int, reason: str) -> None:
    """Undo the steps before `number` that succeeded and say how (last first), then end the submission."""
    undone = []
    for earlier in range(number - 1, -1, -1):
        step = definition.steps[earlier]
        if not step.get("undo") or submission.steps[earlier].get("status") != "succeeded":
            continue
        entry = {"step": earlier, "action": step["undo"]["action"], "status": "failed", "input": None, "error": None}
        try:
            entry["input"] = templating.render(step["undo"].get("input") or {}, context)
        except templating.Unfilled as exc:
            entry["error"] = {"code": "input_unfilled", "detail": str(exc)}
        else:
            _, entry["error"] = automations.attempt(entry["action"], entry["input"], tenant_id=submission.tenant_id,
                                                    principal=_principal(definition), chain=[])
            entry["status"] = "succeeded" if entry["error"] is None else "failed"
        undone.append(entry)
    submission.undone = undone
    _ended(submission, "failed", number, reason[:500])


def _outputs(submission: Submission, upto: int) -> list[dict]:
    return [{"output": entry.get("output") or {}} for entry in submission.steps[:upto]]


def answers(submission: Submission) -> dict:
    """The citizen's answers, while the submission runs ({} once it has ended)."""
    return json.loads(crypto.decrypt(submission.form_encrypted)) if submission.form_encrypted else {}


def end_for_erasure(submission: Submission) -> None:
    """The person asked for their answers to be erased: a submission under way ends, its steps undone."""
    if submission.status != "waiting":
        submission.form_encrypted = None
        session.flush()
        return
    definition = get_scoped(ComposedService, submission.tenant_id, submission.service_id, what="service")
    context = _context(submission, answers(submission), _outputs(submission, submission.step))
    _wait_ended(submission, status="failed", output=None,
                error={"code": "erased", "detail": "The person's answers were erased at their request."})
    _fail(submission, definition, context, submission.step, "The person's answers were erased at their request.")


def _wait_ended(submission: Submission, *, status: str, output: dict | None,
                error: dict | None) -> None:
    steps = list(submission.steps)
    steps[submission.step] = {**steps[submission.step], "status": status, "output": output, "error": error}
    submission.steps = steps
    submission.next_encrypted = submission.waiting_field = submission.waiting_value = submission.waiting_until = None


def resume(envelope: dict, tenant_id: uuid.UUID) -> None:
    """From the fan-out job (in the event's world): go on with each submission waiting for this event, or
    fail it if the event is one its wait fails on. Each is locked, so an event delivered twice, or at the
    same moment as the time-out, moves it once."""
    data = envelope.get("data") or {}
    values = {str(v) for v in data.values() if isinstance(v, (str, int)) and not isinstance(v, bool)}
    if not values:
        return
    waiting = session.scalars(scoped(Submission, tenant_id).with_only_columns(Submission.id).where(
        Submission.status == "waiting", Submission.waiting_value.in_(sorted(values)))).all()
    for submission_id in waiting:
        submission = get_scoped(Submission, tenant_id, submission_id, what="submission", lock=True)
        if submission.status != "waiting" or str(data.get(submission.waiting_field)) != submission.waiting_value:
            continue
        definition = get_scoped(ComposedService, tenant_id, submission.service_id, what="service")
        step = definition.steps[submission.step]
        form = answers(submission)
        if envelope["type"] == step["wait_for"]:
            kept = automations.kept(data)
            _wait_ended(submission, status="succeeded", output=kept, error=None)
            _advance(submission, definition, form, start=submission.step + 1,
                     outputs=[*_outputs(submission, submission.step), {"output": kept}],
                     chain=list(envelope.get("civicchain") or []))
        elif envelope["type"] in step.get("fails_on", []):
            _wait_ended(submission, status="failed", output=automations.kept(data),
                        error={"code": "failed_on_event", "detail": f"{envelope['type']} happened."})
            _fail(submission, definition, _context(submission, form, _outputs(submission, submission.step)),
                  submission.step, f"Step {submission.step} ended: {envelope['type']}.")


def time_out(payload: dict, job) -> None:
    """`flows.submission_timeout`: a submission still waiting at that step when its time is up fails."""
    with in_world(payload.get("sandbox", False)):
        submission = session.scalars(scoped(Submission, job.tenant_id).where(
            Submission.id == uuid.UUID(payload["submission_id"])).with_for_update()).first()
        if submission is None or submission.status != "waiting" or submission.step != payload["step"]:
            return
        definition = get_scoped(ComposedService, job.tenant_id, submission.service_id, what="service")
        form = answers(submission)
        _wait_ended(submission, status="failed", output=None,
                    error={"code": "timed_out", "detail": "The time to wait ran out."})
        _fail(submission, definition, _context(submission, form, _outputs(submission, submission.step)),
              submission.step, f"Step {submission.step} timed out.")


def get_submission(*, tenant_id: uuid.UUID, submission_id) -> Submission:
    return get_scoped(Submission, tenant_id, submission_id, what="submission")


def next_for(submission: Submission) -> dict | None:
    """What the citizen must do now (only while it waits)."""
    if submission.status != "waiting" or not submission.next_encrypted:
        return None
    return json.loads(crypto.decrypt(submission.next_encrypted))


def list_submissions(*, tenant_id: uuid.UUID, slug: str, status: str | None = None, limit: int = 20,
                     after: str | None = None) -> dict:
    get_service(tenant_id=tenant_id, slug=slug)
    query = scoped(Submission, tenant_id).where(Submission.slug == slug)
    if status:
        query = query.where(Submission.status == status)
    return paginate(query, Submission, limit=limit, after=after)
