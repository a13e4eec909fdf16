"""Reconciliation: ask the provider about what is still unfinished, so a lost webhook never leaves a record wrong.

Every PAYMENTS_RECONCILE_SECONDS a job queues one reconciliation per organisation and world; each asks
Stripe for every payment unfinished for PAYMENTS_RECONCILE_AFTER_MINUTES and every refund still
`submitted` for as long, and records each correction in the payment's history (source
`reconciliation`) and in the audit log. A payment whose intent Stripe never confirmed making (the
call failed) is asked for again with the same idempotency key, then cancelled: it ends as `error`.
The same run forgets the Stripe events taken into account more than WEBHOOKS_KEPT ago: Stripe retries an
event for three days at most, and a signed delivery older than the webhook tolerance is refused anyway.
"""
import datetime as dt
import logging
import uuid

import sqlalchemy as sa
from flask import current_app

from civic.core import audit, jobs
from civic.core.db import session, utcnow
from civic.core.tenancy import Tenant, scoped
from civic.payments import refunds, service
from civic.payments.models import Payment, Refund, Webhook
from civic.payments.provider import Intent, ProviderFailure

log = logging.getLogger("civic.payments")
RECONCILE_JOB = "payments.reconcile"
RECONCILE_TENANT_JOB = "payments.reconcile_tenant"
BATCH = 200
WEBHOOKS_KEPT = dt.timedelta(days=30)  # ten times Stripe's retry window: a late duplicate still changes nothing


def queue_all() -> int:
    """The periodic job: one reconciliation job per organisation and world (each runs in its own tenant)."""
    tenant_ids = list(session.scalars(sa.select(Tenant.id).where(Tenant.status == "active")))
    for tenant_id in tenant_ids:
        for sandbox in (False, True):
            jobs.enqueue(RECONCILE_TENANT_JOB, {"sandbox": sandbox}, tenant_id=tenant_id)
    return len(tenant_ids)


def _corrected(payment: Payment, before: str, what: str) -> None:
    audit.record("payments.reconciled", tenant_id=payment.tenant_id, subject_type="payment", subject_id=payment.id,
                 detail={"from": before, "to": payment.state, "what": what})


def reconcile_payment(payment: Payment) -> bool:
    """Bring one unfinished payment up to date with the provider; True if it was corrected."""
    before = payment.state
    provider, _ = service.provider_for(payment.tenant_id, payment)
    if payment.expires_at <= utcnow():
        moved = service.expire_payment(tenant_id=payment.tenant_id, payment_id=payment.id)
    elif payment.provider_id:
        moved = service.apply_intent(payment, provider.retrieve(payment), source="reconciliation",
                                     note=f"corrected by reconciliation (was {before})")
    else:  # the intent may or may not exist: the same idempotency key finds it, then it is cancelled
        intent = provider.create_intent(payment)
        payment.provider_id = intent.id
        if intent.status not in ("canceled", "succeeded"):
            intent = provider.cancel(payment)
        if intent.status == "canceled":
            payment.provider_status = "canceled"
            intent = Intent(id=intent.id, status="provider_error")
        moved = service.apply_intent(payment, intent, source="reconciliation",
                                     note="the intent could not be made when asked: closed by reconciliation")
    if moved:
        _corrected(payment, before, "payment")
    return moved


def reconcile_tenant(*, tenant_id: uuid.UUID) -> dict:
    """Reconcile one organisation's unfinished payments and submitted refunds (in the job's world)."""
    cutoff = utcnow() - dt.timedelta(minutes=current_app.config["PAYMENTS_RECONCILE_AFTER_MINUTES"])
    counts = {"payments": 0, "refunds": 0, "corrected": 0, "failed": 0}
    stale = session.scalars(scoped(Payment, tenant_id).where(Payment.finished.is_(False), Payment.created_at <= cutoff)
                            .order_by(Payment.created_at).limit(BATCH).with_for_update()
                            .execution_options(populate_existing=True))
    for payment in list(stale):
        counts["payments"] += 1
        try:
            counts["corrected"] += reconcile_payment(payment)
        except ProviderFailure as failure:  # the next run tries again
            counts["failed"] += 1
            log.warning("reconciliation could not reach the provider", extra={"payment_id": str(payment.id),
                                                                              "kind": failure.kind})
    for refund in list(session.scalars(scoped(Refund, tenant_id).where(Refund.state == "submitted",
                                                                        Refund.created_at <= cutoff).limit(BATCH))):
        counts["refunds"] += 1
        payment = session.get(Payment, refund.payment_id, with_for_update=True, populate_existing=True)
        provider, _ = service.provider_for(tenant_id, payment)
        try:
            result = provider.retrieve_refund(refund) if refund.provider_id else provider.refund(payment, refund)
        except ProviderFailure:
            counts["failed"] += 1
            continue
        refund.provider_id = result.id
        if refunds.apply_refund(payment, refund, result.status, source="reconciliation"):
            counts["corrected"] += 1
            _corrected(payment, payment.state, f"refund {refund.id}")
    counts["webhooks_forgotten"] = session.execute(
        sa.delete(Webhook).where(Webhook.tenant_id == tenant_id, Webhook.received_at < utcnow() - WEBHOOKS_KEPT)
        .execution_options(synchronize_session=False)).rowcount
    return counts
