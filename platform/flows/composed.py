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
import logging
import uuid

import sqlalchemy as sa

from civic.core import audit, crypto, db, etag, events as core_events, jobs
from civic.core.auth import Principal, current_principal
from civic.core.db import session, utcnow
from civic.core.errors import Problem, not_found
from civic.core.pagination import paginate
from civic.core.tenancy import get_scoped, in_world, scoped
from civic.flows import automations, events, forms, problems, service, templating
from civic.flows.models import ComposedService, Submission

log = logging.getLogger("civic.flows")
TIMEOUT_JOB = "flows.submission_timeout"
ROOTS = ("form", "submission", "steps")
MAX_STEPS = 12
MAX_WAIT_MINUTES = 7 * 24 * 60
NEXT_SECRETS = ("client_secret", "publishable_key")  # what a payment page needs, shown to the citizen only
MASK = "[answer]"


def _invalid(location: str, message: str):
    return problems.SERVICE_INVALID(f"{location}: {message}", errors={location: [message]})


# --- checking a definition ------------------------------------------------------------------
def _check_form(form: dict) -> None:
    try:
        forms.check(form)
    except forms.Invalid as exc:
        raise _invalid(exc.where, exc.message) from None


def _uses(template) -> list[tuple[int, str]]:
    """(step, field) of each `{{ steps.N.output.field... }}` in a template (checked paths only)."""
    found = []
    for path in templating.paths(template):
        parts = path.split(".")
        if parts[0] == "steps" and len(parts) >= 4:
            found.append((int(parts[1]), parts[3]))
    return found


def _kept_field(field: str) -> bool:
    return field in automations.KEPT or field.endswith("_id")


def _check_reaches(steps: list[dict], number: int, location: str, template, *, later: bool = False,
                   also: tuple[str, ...] = ()) -> None:
    """An output named across a wait must be one a submission keeps (ids and states): after a wait, only
    those are there. `later`: an undo, which may run after any wait that follows its step."""
    waits = [n for n, step in enumerate(steps) if "wait_for" in step]
    for step, field in _uses(template):
        across = any(step < w and (later or w < number) for w in waits)
        if across and not _kept_field(field) and field not in also:
            raise _invalid(location, f"steps.{step}.output.{field} is not kept past the wait at step "
                                     f"{min(w for w in waits if w > step)}: after a wait only ids and states "
                                     f"({', '.join(automations.KEPT)}, *_id) are there.")


def _check_wait(steps: list[dict], number: int, location: str) -> list[str]:
    """The event types a wait step listens for (refusing one that is not valid)."""
    step = steps[number]
    types = [step["wait_for"], *step.get("fails_on", [])]
    for name in types:
        if "*" in name or name in events.NOT_FANNED_OUT:
            raise _invalid(f"{location}.wait_for", f"A wait names exact event types of the catalogue, not {name}.")
    if step["wait_for"] in step.get("fails_on", []):
        raise _invalid(f"{location}.fails_on", "The event waited for cannot also fail the wait.")
    try:
        service.check_event_types(types)
    except Problem as exc:  # event_type_unknown, said where it is in the definition
        raise _invalid(f"{location}.wait_for", exc.detail) from None
    if len(step["match"]) != 1:
        raise _invalid(f"{location}.match", "Match one id field of the event's data, such as payment_id.")
    (field, template), = step["match"].items()
    declared = {name: set(core_events.DECLARED[name].fields()) for name in types}
    if not field.endswith("_id") or any(field not in fields for fields in declared.values()):
        raise _invalid(f"{location}.match", f"{field!r} is not an id field of every event named "
                                            f"(the data of {step['wait_for']} has {', '.join(sorted(declared[step['wait_for']]))}).")
    whole = templating.PLACEHOLDER.fullmatch(template.strip()) if isinstance(template, str) else None
    parts = whole.group(1).split(".") if whole else []
    if not (len(parts) == 4 and parts[0] == "steps" and parts[1].isdigit() and int(parts[1]) < number
            and parts[2] == "output" and (parts[3] == "id" or parts[3].endswith("_id"))):
        raise _invalid(f"{location}.match", "The value is the id an earlier step made, such as "
                                            "{{ steps.1.output.id }}: something only this submission has.")
    try:
        templating.check(step.get("next") or {}, step=number, roots=("submission", "steps"))
    except templating.Unfilled as exc:
        raise _invalid(f"{location}.next", str(exc)) from None
    for earlier, shown in _uses(step.get("next") or {}):
        if not (_kept_field(shown) or shown in NEXT_SECRETS):
            raise _invalid(f"{location}.next", f"steps.{earlier}.output.{shown}: the citizen is shown ids, states "
                                               f"and {', '.join(NEXT_SECRETS)} only.")
    _check_reaches(steps, number, f"{location}.next", step.get("next") or {}, also=NEXT_SECRETS)
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
            waits.extend(_check_wait(steps, number, location))
            continue
        needed.add(automations.action_step(tenant_id=tenant_id, principal=principal, step=step, location=location,
                                           before=number, roots=ROOTS, invalid=_invalid))
        _check_reaches(steps, number, f"{location}.input", step.get("input") or {})
        if step.get("undo"):
            needed.add(automations.action_step(tenant_id=tenant_id, principal=principal, step=step["undo"],
                                               location=f"{location}.undo", before=number + 1, roots=ROOTS,
                                               invalid=_invalid))
            _check_reaches(steps, number, f"{location}.undo.input", step["undo"].get("input") or {}, later=True)
    return automations.scopes_held(principal, needed), sorted(set(waits))


# --- definitions ------------------------------------------------------------------------------
def _current(tenant_id: uuid.UUID, slug: str, *, lock: bool = False) -> ComposedService | None:
    """The current version; `lock`: changes to this slug (a new version, retiring) wait for each other, so two
    at once end as they would one after the other (the row lock alone would not: a new version is a new row)."""
    if lock:
        db.lock_keys(f"flows.service:{tenant_id}:{slug}")
    query = scoped(ComposedService, tenant_id).where(ComposedService.slug == slug, ComposedService.current.is_(True))
    return session.scalars(query.with_for_update() if lock else query).first()


def get_service(*, tenant_id: uuid.UUID, slug: str, lock: bool = False) -> ComposedService:
    """The version new submissions use (active or retired)."""
    found = _current(tenant_id, slug, lock=lock)
    if found is None:
        raise not_found("service")
    return found


def get_version(*, tenant_id: uuid.UUID, slug: str, version: str) -> ComposedService:
    """One version as it was published (the one an older submission runs); `version` as the URL gives it."""
    number = int(version) if version.isdecimal() and len(version) < 10 else None
    found = number and session.scalars(scoped(ComposedService, tenant_id).where(
        ComposedService.slug == slug, ComposedService.version == number)).first()
    if found is None:
        raise not_found("service version")
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
    if _current(tenant_id, slug, lock=True) is not None:
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
def submit(*, tenant_id: uuid.UUID, principal, slug: str, form: dict, reference: str | None = None,
           metadata_: dict | None = None) -> Submission:
    """Check the answers against the form, then run the steps until one waits, one fails or all are done."""
    definition = get_service(tenant_id=tenant_id, slug=slug)
    if definition.status != "active":
        raise problems.SERVICE_RETIRED(f"The service {slug!r} takes no new submissions.")
    try:
        errors = forms.errors(definition.form, form)
    except forms.Broken:
        raise problems.SERVICE_INVALID("The service's form cannot check answers: its publisher must publish a "
                                       "new version.") from None
    if errors:
        raise problems.FORM_INVALID("Some answers do not fit the form: `errors` says which and why.", errors=errors)
    submission = Submission(id=uuid.uuid4(), tenant_id=tenant_id, service_id=definition.id, slug=slug,
                            service_version=definition.version, status="waiting", step=0, steps=[], undone=[],
                            form_encrypted=crypto.encrypt(json.dumps(form)), reference=reference,
                            submitted_by=principal.client_id,
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


def _masked(value):
    """The answers' shape with every value replaced by MASK: what a submission records of what it sent."""
    if isinstance(value, dict):
        return {key: _masked(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_masked(inner) for inner in value]
    return MASK


def _rendered(template, context: dict) -> tuple:
    """(the input to send, the input to record: the citizen's answers in it shown as [answer])."""
    return (templating.render(template, context),
            templating.render(template, {**context, "form": _masked(context["form"])}))


def needs_attention(submission: Submission) -> bool:
    """A failed submission whose undoing did not all work (a payment already taken, a hold already a booking)."""
    return submission.status == "failed" and any(entry.get("status") != "succeeded" for entry in submission.undone)


def _ended(submission: Submission, status: str, step: int, reason: str | None = None) -> None:
    submission.status, submission.step, submission.reason = status, step, reason
    submission.form_encrypted = submission.next_encrypted = None
    submission.waiting_field = submission.waiting_value = submission.waiting_until = None
    submission.updated_at = utcnow()
    session.flush()
    ended = events.SUBMISSION_COMPLETED if status == "completed" else events.SUBMISSION_FAILED
    ended.emit(tenant_id=submission.tenant_id, subject=str(submission.id), data={
        "submission_id": str(submission.id), "slug": submission.slug, "service_version": submission.service_version,
        "step": step, "needs_attention": needs_attention(submission), "sandbox": submission.sandbox})


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
                if not isinstance(value, str) or not 0 < len(value) <= 255:
                    raise templating.Unfilled(f"{template} is not an id here.")
            except templating.Unfilled as exc:
                recorded.append({"wait_for": step["wait_for"], "status": "failed", "input": None, "output": None,
                                 "error": {"code": "input_unfilled", "detail": str(exc)}})
                submission.steps = list(recorded)  # a new list: the JSON column sees the change
                return _fail(submission, definition, context, number, f"Step {number} could not start: input_unfilled.")
            recorded.append({"wait_for": step["wait_for"], "status": "waiting", "input": {field: value},
                             "output": None, "error": None})
            submission.steps, submission.status, submission.step = list(recorded), "waiting", number
            submission.waiting_field, submission.waiting_value = field, value
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
            sent, entry["input"] = _rendered(step.get("input") or {}, context)
        except templating.Unfilled as exc:
            entry["error"] = {"code": "input_unfilled", "detail": str(exc)}
        else:
            output, entry["error"] = automations.attempt(step["action"], sent, tenant_id=submission.tenant_id,
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
            sent, entry["input"] = _rendered(step["undo"].get("input") or {}, context)
        except templating.Unfilled as exc:
            entry["error"] = {"code": "input_unfilled", "detail": str(exc)}
        else:
            _, entry["error"] = automations.attempt(entry["action"], sent, tenant_id=submission.tenant_id,
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
    if submission.status == "waiting":
        _wait_failed(submission, "erased", "The person's answers were erased at their request.",
                     reason="The person's answers were erased at their request.")
    submission.form_encrypted = None
    session.flush()


def _wait_ended(submission: Submission, *, status: str, output: dict | None,
                error: dict | None) -> None:
    steps = list(submission.steps)
    steps[submission.step] = {**steps[submission.step], "status": status, "output": output, "error": error}
    submission.steps = steps
    submission.next_encrypted = submission.waiting_field = submission.waiting_value = submission.waiting_until = None


def _wait_failed(submission: Submission, code: str, detail: str, *, reason: str, output: dict | None = None,
                 definition: ComposedService | None = None) -> None:
    """End the wait a submission is at as failed (`code`, `detail`), then undo the steps before it."""
    definition = definition or get_scoped(ComposedService, submission.tenant_id, submission.service_id, what="service")
    context = _context(submission, answers(submission), _outputs(submission, submission.step))
    _wait_ended(submission, status="failed", output=output, error={"code": code, "detail": detail})
    _fail(submission, definition, context, submission.step, reason)


def resume(envelope: dict, tenant_id: uuid.UUID) -> None:
    """From the fan-out job (in the event's world): go on with each submission waiting for this event, or
    fail it if the event is one its wait fails on. Each is locked, so an event delivered twice, or at the
    same moment as the time-out, moves it once."""
    data = envelope.get("data") or {}
    values = {v for k, v in data.items() if k.endswith("_id") and isinstance(v, str) and v}
    if not values:
        return
    waiting = session.scalars(scoped(Submission, tenant_id).with_only_columns(Submission.id).where(
        Submission.status == "waiting", Submission.waiting_value.in_(sorted(values)))).all()
    for submission_id in waiting:
        try:
            with session.begin_nested():  # a fault in one submission leaves the event's other work (webhooks) alone
                _resume_one(envelope, tenant_id, submission_id)
        except Exception:  # noqa: BLE001 - logged; the submission stays waiting (its time-out still ends it)
            log.exception("submission %s could not go on after event %s", submission_id, envelope.get("id"))


def _resume_one(envelope: dict, tenant_id: uuid.UUID, submission_id) -> None:
    data = envelope.get("data") or {}
    submission = get_scoped(Submission, tenant_id, submission_id, what="submission", lock=True)
    if submission.status != "waiting" or data.get(submission.waiting_field) != submission.waiting_value:
        return
    definition = get_scoped(ComposedService, tenant_id, submission.service_id, what="service")
    step = definition.steps[submission.step]
    if envelope["type"] == step["wait_for"]:
        kept = automations.kept(data)
        _wait_ended(submission, status="succeeded", output=kept, error=None)
        _advance(submission, definition, answers(submission), start=submission.step + 1,
                 outputs=[*_outputs(submission, submission.step), {"output": kept}],
                 chain=list(envelope.get("civicchain") or []))
    elif envelope["type"] in step.get("fails_on", []):
        _wait_failed(submission, "failed_on_event", f"{envelope['type']} happened.", output=automations.kept(data),
                     reason=f"Step {submission.step} ended: {envelope['type']}.", definition=definition)


def time_out(payload: dict, job) -> None:
    """`flows.submission_timeout`: a submission still waiting at that step when its time is up fails."""
    with in_world(payload.get("sandbox", False)):
        submission = session.scalars(scoped(Submission, job.tenant_id).where(
            Submission.id == uuid.UUID(payload["submission_id"])).with_for_update()).first()
        if submission is None or submission.status != "waiting" or submission.step != payload["step"]:
            return
        _wait_failed(submission, "timed_out", "The time to wait ran out.", reason=f"Step {submission.step} timed out.")


def get_submission(*, tenant_id: uuid.UUID, submission_id) -> Submission:
    return get_scoped(Submission, tenant_id, submission_id, what="submission")


def next_for(submission: Submission) -> dict | None:
    """What the citizen must do now: only while it waits, and only to the app that submitted it (it may hold
    a payment's client secret)."""
    if submission.status != "waiting" or not submission.next_encrypted:
        return None
    if current_principal().client_id != submission.submitted_by:
        return None
    return json.loads(crypto.decrypt(submission.next_encrypted))


def list_submissions(*, tenant_id: uuid.UUID, slug: str, status: str | None = None, limit: int = 20,
                     after: str | None = None) -> dict:
    get_service(tenant_id=tenant_id, slug=slug)
    query = scoped(Submission, tenant_id).where(Submission.slug == slug)
    if status:
        query = query.where(Submission.status == status)
    return paginate(query, Submission, limit=limit, after=after)
