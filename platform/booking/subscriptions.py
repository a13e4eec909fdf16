"""What booking does when another component's events happen (by event type name: booking imports no component).

A payment linked to a hold (`link_type` `booking.hold`) that succeeds turns the hold into a booking; one
that fails, is cancelled or expires gives the hold's place back. The jobs run after the payment's change
commits, at least once: confirming or releasing a hold that is no longer held changes nothing.
"""
import logging

from civic.booking import service
from civic.core import audit, events, jobs
from civic.core.errors import Problem
from civic.core.tenancy import in_world

log = logging.getLogger("civic.booking")
ON_PAYMENT_SUCCEEDED = "booking.on_payment_succeeded"
ON_PAYMENT_ENDED = "booking.on_payment_ended"
PAYMENT_EVENTS = {
    "civic.payments.payment_succeeded": ON_PAYMENT_SUCCEEDED,
    "civic.payments.payment_failed": ON_PAYMENT_ENDED,
    "civic.payments.payment_cancelled": ON_PAYMENT_ENDED,
    "civic.payments.payment_expired": ON_PAYMENT_ENDED,
}


def _hold_of(envelope: dict) -> str | None:
    data = envelope.get("data") or {}
    return data.get("link_id") if data.get("link_type") == "booking.hold" else None


def _hold_job(act):
    """A job that does `act(job, hold_id, envelope)` in the payment's world, for payments linked to a hold."""

    def handler(envelope: dict, job) -> None:
        hold_id = _hold_of(envelope)
        if hold_id is None:
            return
        try:
            with in_world((envelope.get("data") or {}).get("sandbox", False)):
                act(job, hold_id, envelope)
        except Problem as problem:  # the hold is no longer held: nothing to do, said once in the audit
            if act is _confirm and problem.code != "hold_not_active":
                audit.record("booking.paid_hold_not_confirmed", tenant_id=job.tenant_id, subject_type="hold",
                             subject_id=hold_id, detail={"code": problem.code,
                                                         "payment_id": envelope["data"]["payment_id"]})
            log.info("payment event for a hold no longer held", extra={"hold_id": hold_id, "code": problem.code})

    handler.__doc__ = act.__doc__
    return handler


def _confirm(job, hold_id, envelope) -> None:
    """A paid hold becomes a booking (the payer's details stay with the payment: the booking names none)."""
    service.confirm_hold(tenant_id=job.tenant_id, hold_id=hold_id, attendee={"name": None},
                         metadata_={"payment_id": envelope["data"]["payment_id"]})


def _release(job, hold_id, envelope) -> None:
    """A payment that failed, was cancelled or expired gives its hold's place back."""
    service.release_hold(tenant_id=job.tenant_id, hold_id=hold_id)


on_payment_succeeded = _hold_job(_confirm)
on_payment_ended = _hold_job(_release)


def init_app(app) -> None:
    jobs.register(app, ON_PAYMENT_SUCCEEDED, on_payment_succeeded)
    jobs.register(app, ON_PAYMENT_ENDED, on_payment_ended)
    # By type name only: with payments switched off there is nothing to subscribe to (the core says so).
    for event_type, job_name in PAYMENT_EVENTS.items():
        events.subscribe(app, event_type, job_name)
