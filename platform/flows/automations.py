"""Automations: when an event happens and a condition holds, run steps (actions) with inputs made from it.

Keyword-only, tenant first; flush only. A definition is checked when saved: the trigger is in the event
catalogue, the condition is Common Expression Language (cel-python) that compiles, each step names an
action of a component the organisation runs, its input's fields are the action's, and its placeholders
are paths (`templating`). Whoever saves it must hold every scope its steps need: the automation runs with
those scopes and no others (`scopes`), so it never does what its author could not.

A run is recorded for each matching event (once, however often the job runs): each step's input, and
its output kept as ids and states only (the record itself is in its component; a run never becomes a
second copy of personal data), or its error. A step runs in a savepoint: a failing step leaves nothing
half-written, the run stops there (`failed`, `failed_step`), and a retry runs from that step with the
outputs of the ones before. A condition that is false is a `skipped` run. An automation triggered again
by an event its own steps caused (directly or through others, `civicchain`) is `stopped`, as is a chain
longer than MAX_CHAIN.

Why CEL: it has a specification, is used for exactly this (Kubernetes admission, Google IAM conditions),
has no loops or recursion (its macros walk the event's own lists), cannot read files or reach the
network, and its evaluator here runs only on the event; an expression is also capped at
CONDITION_MAX_CHARS. JsonLogic has no rigorous specification and its implementations disagree.
"""
import functools
import logging
import re
import uuid

import celpy
import marshmallow as ma
import sqlalchemy as sa

from civic.core import actions, audit, etag, events as core_events
from civic.core.auth import Principal
from civic.core.db import session, utcnow
from civic.core.errors import Problem
from civic.core.pagination import paginate
from civic.core.tenancy import get_scoped, scoped
from civic.flows import problems, service, templating
from civic.flows.models import Automation, Run

log = logging.getLogger("civic.flows")
AUTOMATE_JOB = "flows.automate"
CONDITION_MAX_CHARS = 1000
MAX_CHAIN = 5
MAX_STEPS = 10
KEPT = ("id", "status", "state", "type", "code", "slug")
# CEL has no loops, but its macros nest: three `all`s over a literal list of 40 take seconds. A condition
# may use one macro, over a list of the event's or one of at most LIST_MAX literal items.
MACROS = re.compile(r"\.\s*(all|exists|exists_one|map|filter)\s*\(")
LIST_MAX = 50


# --- checking a definition ------------------------------------------------------------------
def _invalid(location: str, message: str):
    return problems.AUTOMATION_INVALID(f"{location}: {message}", errors={location: [message]})


@functools.lru_cache(maxsize=4096)  # compiling costs milliseconds; a program is evaluated for each event
def _compiled(condition: str):
    try:
        environment = celpy.Environment()
        return environment.program(environment.compile(condition))
    except celpy.CELParseError as exc:
        raise _invalid("condition", f"Not a CEL expression: {str(exc).splitlines()[0]}") from None
    except Exception as exc:  # noqa: BLE001 - the CEL library's other refusals of a text
        raise _invalid("condition", f"Not a CEL expression: {exc}") from None


def _bounded(condition: str) -> None:
    """Refuse a condition whose cost could grow without bound: more than one macro, or a long literal list."""
    if len(condition) > CONDITION_MAX_CHARS:
        raise _invalid("condition", f"At most {CONDITION_MAX_CHARS} characters.")
    if len(MACROS.findall(condition)) > 1:
        raise _invalid("condition", "Use at most one of all, exists, exists_one, map and filter.")
    if max((chunk.count(",") + 1 for chunk in re.findall(r"\[[^\[\]]*\]", condition)), default=0) > LIST_MAX:
        raise _invalid("condition", f"A list in a condition has at most {LIST_MAX} items.")


def _checked(*, tenant_id, principal, trigger: str, condition: str | None, steps: list[dict]) -> list[str]:
    """The scopes the steps need (refusing a definition that is not valid, or that its saver could not run)."""
    service.check_event_types([trigger])
    if condition is not None:
        _bounded(condition)
        _compiled(condition)
    if not 1 <= len(steps) <= MAX_STEPS:
        raise _invalid("steps", f"One to {MAX_STEPS} steps.")
    needed = {action_step(tenant_id=tenant_id, principal=principal, step=step, location=f"steps.{number}", before=number)
              for number, step in enumerate(steps)}
    return scopes_held(principal, needed)


def action_step(*, tenant_id, principal, step: dict, location: str, before: int,
                roots: tuple[str, ...] = templating.AUTOMATION_ROOTS, invalid=_invalid) -> str:
    """Check one step `{"action", "input"}` (at `location`; its placeholders may use the outputs of steps
    below `before`) and answer the scope it needs."""
    action = actions.get(step["action"], tenant_id=tenant_id)
    if action is None:
        raise invalid(f"{location}.action", f"No action {step['action']!r} (GET /v1/flows/actions lists them).")
    given = step.get("input") or {}
    unknown = sorted(set(given) - set(action.input().fields))
    if unknown:
        raise invalid(f"{location}.input", f"Not fields of {action.name}: {', '.join(unknown)}.")
    try:
        templating.check(given, step=before, roots=roots)
    except templating.Unfilled as exc:
        raise invalid(f"{location}.input", str(exc)) from None
    if principal.components is not None and action.component not in principal.components:
        raise problems.SCOPES_NOT_HELD(f"Your token may not use {action.component}: {action.name} is not yours to give.",
                                       errors={f"{location}.action": [f"{action.component} is not in your token."]})
    return action.required_scope


def scopes_held(principal, needed: set[str]) -> list[str]:
    """`needed`, sorted, if the principal holds it all; else a 403 naming what it lacks."""
    missing = sorted(needed - set(principal.scopes))
    if missing:
        raise problems.SCOPES_NOT_HELD(f"Its steps need {', '.join(missing)}, which you do not hold.",
                                       errors={"steps": [f"Needs {', '.join(missing)}."]})
    return sorted(needed)


# --- definitions ------------------------------------------------------------------------------
def create(*, tenant_id: uuid.UUID, principal, name: str, trigger: str, steps: list[dict],
           condition: str | None = None, **fields) -> Automation:
    service.admin_only(principal)
    scopes = _checked(tenant_id=tenant_id, principal=principal, trigger=trigger, condition=condition, steps=steps)
    automation = Automation(id=uuid.uuid4(), tenant_id=tenant_id, name=name, trigger=trigger, condition=condition,
                            steps=steps, scopes=scopes, version=1, **fields)
    session.add(automation)
    session.flush()
    audit.record("flows.automation_created", tenant_id=tenant_id, subject_type="flows_automation",
                 subject_id=automation.id, detail={"trigger": trigger, "actions": [s["action"] for s in steps]})
    return automation


def get(*, tenant_id: uuid.UUID, automation_id, lock: bool = False) -> Automation:
    return get_scoped(Automation, tenant_id, automation_id, what="automation", lock=lock)


def list_automations(*, tenant_id: uuid.UUID, status: str | None = None, limit: int = 20,
                     after: str | None = None) -> dict:
    query = scoped(Automation, tenant_id)
    if status:
        query = query.where(Automation.status == status)
    return paginate(query, Automation, limit=limit, after=after)


def update(*, tenant_id: uuid.UUID, principal, automation_id, if_match: str | None = None, **fields) -> Automation:
    """A new version: runs started before keep the steps they started with (in their record)."""
    service.admin_only(principal)
    automation = get(tenant_id=tenant_id, automation_id=automation_id, lock=True)
    etag.check(automation, if_match)
    merged = {"trigger": automation.trigger, "condition": automation.condition, "steps": automation.steps, **fields}
    automation.scopes = _checked(tenant_id=tenant_id, principal=principal, trigger=merged["trigger"],
                                 condition=merged["condition"], steps=merged["steps"])
    for name, value in fields.items():
        setattr(automation, name, value)
    automation.version += 1
    automation.updated_at = utcnow()
    session.flush()
    audit.record("flows.automation_changed", tenant_id=tenant_id, subject_type="flows_automation",
                 subject_id=automation.id, detail={"fields": sorted(fields), "version": automation.version})
    return automation


def delete(*, tenant_id: uuid.UUID, principal, automation_id, if_match: str | None = None) -> None:
    service.admin_only(principal)
    automation = get(tenant_id=tenant_id, automation_id=automation_id, lock=True)
    etag.check(automation, if_match)
    audit.record("flows.automation_deleted", tenant_id=tenant_id, subject_type="flows_automation",
                 subject_id=automation.id)
    session.delete(automation)  # its runs go with it
    session.flush()


# --- running ------------------------------------------------------------------------------
def _condition_holds(condition: str | None, envelope: dict) -> bool:
    if condition is None:
        return True
    try:
        result = _compiled(condition).evaluate({"event": celpy.json_to_cel(envelope)})
    except celpy.CELEvalError as exc:
        raise templating.Unfilled(f"The condition could not be worked out: {exc.args[0] if exc.args else exc}") from None
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:  # the event's values, as CEL reads them
        raise templating.Unfilled(f"The condition could not be worked out: {type(exc).__name__}") from None
    if isinstance(result, celpy.CELEvalError):
        raise templating.Unfilled(f"The condition could not be worked out: {result.args[0] if result.args else result}")
    if not isinstance(result, celpy.celtypes.BoolType):
        raise templating.Unfilled("The condition must be true or false.")
    return bool(result)


def kept(output) -> dict:
    """A step's output as a run keeps it: its ids and states, never the record's personal data."""
    if not isinstance(output, dict):
        return {}
    return {key: value for key, value in output.items()
            if (key in KEPT or key.endswith("_id")) and isinstance(value, (str, int, bool, type(None)))}


def attempt(name: str, data: dict, *, tenant_id, principal, chain: list[str]) -> tuple[dict | None, dict | None]:
    """Run one action in a savepoint, under `chain`: (its whole output, None) or (None, the error as a run
    records it). A failing action leaves nothing half-written."""
    try:
        with session.begin_nested(), core_events.caused_by(chain):
            return actions.run(name, tenant_id=tenant_id, data=data, principal=principal), None
    except actions.UnknownAction:
        return None, {"code": "action_unavailable", "detail": f"{name} is not available (its component is switched off)."}
    except actions.ActionForbidden as exc:
        return None, {"code": "scope_not_held", "detail": str(exc)}
    except ma.ValidationError as exc:
        return None, {"code": "validation_failed", "detail": "The input does not fit the action.", "errors": exc.messages}
    except Problem as exc:
        return None, {"code": exc.code, "detail": exc.detail, **({"errors": exc.errors} if exc.errors else {})}
    except Exception:  # noqa: BLE001 - a fault in the action: its savepoint is undone, the run says so
        log.exception("action %s failed (chain %s)", name, chain)
        return None, {"code": "action_failed", "detail": "The action failed on our side; it has been logged."}


def _principal(automation: Automation) -> Principal:
    return Principal(tenant_id=automation.tenant_id, client_id=f"automation:{automation.id}",
                     scopes=frozenset(automation.scopes), sandbox=automation.sandbox)


def _run_steps(run: Run, automation: Automation, steps: list[dict], start: int) -> None:
    """Run the steps from `start`, each in a savepoint; stop at the first that fails."""
    context = {"event": run.event, "steps": [{"output": step.get("output") or {}} for step in run.steps]}
    chain = [*(run.event.get("civicchain") or []), str(automation.id)]
    recorded = list(run.steps[:start])
    run.status, run.failed_step, run.reason = "succeeded", None, None
    for number in range(start, len(steps)):
        step = steps[number]
        entry = {"action": step["action"], "status": "failed", "input": None, "output": None, "error": None}
        try:
            entry["input"] = templating.render(step.get("input") or {}, context)
        except templating.Unfilled as exc:
            entry["error"] = {"code": "input_unfilled", "detail": str(exc)}
        else:
            output, entry["error"] = attempt(step["action"], entry["input"], tenant_id=run.tenant_id,
                                             principal=_principal(automation), chain=chain)
            if entry["error"] is None:
                entry["status"], entry["output"] = "succeeded", kept(output)
        recorded.append(entry)
        context["steps"] = [*context["steps"][:number], {"output": entry["output"] or {}}]
        if entry["status"] == "failed":
            run.status, run.failed_step = "failed", number
            run.reason = f"Step {number} ({step['action']}) failed: {entry['error']['code']}."
            break
    run.steps = recorded
    run.updated_at = utcnow()
    session.flush()


def automate(payload: dict, job) -> None:
    """`flows.automate`: one automation's run for one event (recorded once, however often the job runs)."""
    from civic.core.tenancy import in_world

    envelope = payload["event"]
    with in_world((envelope.get("data") or {}).get("sandbox", False)):
        automation = session.scalars(scoped(Automation, job.tenant_id).where(
            Automation.id == uuid.UUID(payload["automation_id"]))).first()
        if automation is None or automation.status != "active":
            return
        event_id = uuid.UUID(envelope["id"])
        if session.scalars(scoped(Run, job.tenant_id).where(Run.automation_id == automation.id,
                                                            Run.event_id == event_id)).first():
            return
        run = Run(id=uuid.uuid4(), tenant_id=job.tenant_id, automation_id=automation.id,
                  automation_version=automation.version, event_id=event_id, event_type=envelope["type"],
                  event=envelope, status="succeeded", steps=[], attempts=1, sandbox=automation.sandbox)
        session.add(run)
        chain = envelope.get("civicchain") or []
        if str(automation.id) in chain or len(chain) >= MAX_CHAIN:
            run.status = "stopped"
            run.reason = ("A loop: this automation's own steps caused this event." if str(automation.id) in chain
                          else f"More than {MAX_CHAIN} automations in a row caused this event.")
            session.flush()
            return
        try:
            holds = _condition_holds(automation.condition, envelope)
        except templating.Unfilled as exc:
            run.status, run.reason = "failed", str(exc)[:500]
            session.flush()
            return
        if not holds:
            run.status, run.reason = "skipped", "The condition was false."
            session.flush()
            return
        _run_steps(run, automation, automation.steps, 0)


def triggers_query(tenant_id: uuid.UUID):
    """("automation", trigger) of each of the organisation's active automations (in the caller's world)."""
    return scoped(Automation, tenant_id).with_only_columns(sa.literal("automation"), Automation.trigger).where(
        Automation.status == "active")


def queue_runs(envelope: dict, tenant_id: uuid.UUID) -> None:
    """From the fan-out job: one `flows.automate` job per active automation whose trigger matches."""
    from civic.core import jobs

    for automation in session.scalars(scoped(Automation, tenant_id).where(Automation.status == "active")
                                      .order_by(Automation.created_at)):
        if service.matches([automation.trigger], envelope["type"]):
            jobs.enqueue(AUTOMATE_JOB, {"automation_id": str(automation.id), "event": envelope}, tenant_id=tenant_id)


# --- runs ---------------------------------------------------------------------------------
def list_runs(*, tenant_id: uuid.UUID, automation_id, status: str | None = None, limit: int = 20,
              after: str | None = None) -> dict:
    automation = get(tenant_id=tenant_id, automation_id=automation_id)
    query = scoped(Run, tenant_id).where(Run.automation_id == automation.id)
    if status:
        query = query.where(Run.status == status)
    return paginate(query, Run, limit=limit, after=after)


def get_run(*, tenant_id: uuid.UUID, run_id, lock: bool = False) -> Run:
    return get_scoped(Run, tenant_id, run_id, what="run", lock=lock)


def retry(*, tenant_id: uuid.UUID, principal, run_id) -> Run:
    """Run a failed run again from the step that failed, with the outputs of the steps before it. Whoever
    asks must hold the scopes the steps need; an automation paused or changed since is not retried (its
    steps are not the ones the run started with)."""
    service.admin_only(principal)
    run = get_run(tenant_id=tenant_id, run_id=run_id, lock=True)
    if run.status != "failed" or run.failed_step is None:
        raise problems.RUN_NOT_FAILED(f"The run {run.status}: only a run that failed at a step can be retried.")
    automation = get(tenant_id=tenant_id, automation_id=run.automation_id)
    missing = sorted(set(automation.scopes) - set(principal.scopes))
    if missing:  # a retry runs the steps: whoever asks must hold what they need, as whoever saved them did
        raise problems.SCOPES_NOT_HELD(f"Its steps need {', '.join(missing)}, which you do not hold.")
    if automation.status != "active" or automation.version != run.automation_version \
            or run.failed_step >= len(automation.steps):
        raise problems.RUN_NOT_FAILED("The automation was paused or changed since this run: it runs as it is now "
                                      "on the next event, and this run stays as it was.")
    run.attempts += 1
    _run_steps(run, automation, automation.steps, run.failed_step)
    audit.record("flows.run_retried", tenant_id=tenant_id, subject_type="flows_run", subject_id=run.id,
                 detail={"status": run.status})
    return run


def dry_run(*, tenant_id: uuid.UUID, automation_id, event: dict) -> dict:
    """What the automation would do for this event, doing nothing: whether it triggers, the condition's
    answer, and each step's input as it would be sent (later steps' uses of earlier outputs left as they
    are), with what the action would refuse."""
    automation = get(tenant_id=tenant_id, automation_id=automation_id)
    envelope = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/civic/dry-run", "subject": None,
                "time": utcnow().isoformat(), "datacontenttype": "application/json",
                "tenantid": str(tenant_id), **event}
    answer = {"triggers": service.matches([automation.trigger], envelope.get("type", "")), "condition": None,
              "would_run": False, "steps": [], "error": None}
    try:
        answer["condition"] = _condition_holds(automation.condition, envelope)
    except templating.Unfilled as exc:
        answer["error"] = str(exc)
        return answer
    answer["would_run"] = answer["triggers"] and answer["condition"]
    for step in automation.steps:
        shown = {"action": step["action"], "input": None, "errors": None}
        try:
            shown["input"] = templating.render(step.get("input") or {}, {"event": envelope}, keep_unknown_steps=True)
            action = actions.get(step["action"], tenant_id=tenant_id)
            if action is None:
                shown["errors"] = {"action": ["Not available: its component is switched off."]}
            else:
                unfilled = {k: v for k, v in shown["input"].items() if not _uses_steps(v)}
                errors = action.input().validate(unfilled, partial=tuple(k for k in shown["input"] if k not in unfilled))
                shown["errors"] = errors or None
        except templating.Unfilled as exc:
            shown["errors"] = {"input": [str(exc)]}
        answer["steps"].append(shown)
    return answer


def _uses_steps(value) -> bool:
    return isinstance(value, str) and "{{" in value and "steps." in value
