"""Stripe's webhooks: verified with the organisation's signing secret, each event taken into account once.

`POST /v1/payments/webhooks/stripe/{tenant}` is public (Stripe holds no token), so nothing is read or
changed before `stripe.Webhook.construct_event` has checked the signature and its timestamp against one
of that organisation's signing secrets (live or sandbox: the one that verifies decides the world). The
event id is then stored; a second delivery of it changes nothing. Only that organisation's payments are
looked at: an event naming another organisation's intent is recorded as unknown and changes nothing.
"""
import uuid

import sqlalchemy as sa
import stripe
from flask import current_app

from civic.core import crypto
from civic.core.db import session
from civic.core.tenancy import Tenant, in_world, scoped, tenant_by_slug
from civic.payments import problems, refunds, service
from civic.payments.models import Account, Refund, Webhook
from civic.payments.provider import intent_from

INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
                 "payment_intent.processing", "payment_intent.requires_action",
                 "payment_intent.amount_capturable_updated")
REFUND_EVENTS = ("refund.updated", "refund.created", "refund.failed")


def _tenant(tenant: str) -> Tenant | None:
    try:
        return session.get(Tenant, uuid.UUID(tenant))
    except ValueError:
        return tenant_by_slug(tenant)


def _verified(tenant_id: uuid.UUID, payload: bytes, signature: str | None):
    """(event, account) for the first of the organisation's signing secrets the signature matches."""
    tolerance = current_app.config["PAYMENTS_WEBHOOK_TOLERANCE_SECONDS"]
    # Both worlds' accounts: which secret signed the event says whether it is live or test.
    accounts = session.scalars(sa.select(Account).where(Account.tenant_id == tenant_id)
                               .execution_options(civic_tenant=tenant_id).order_by(Account.sandbox))
    for account in accounts:
        try:
            return stripe.Webhook.construct_event(payload, signature or "", crypto.decrypt(account.webhook_secret),
                                                  tolerance=tolerance, api_key="sk_unused"), account
        except (stripe.SignatureVerificationError, ValueError):
            continue
    return None, None


def receive_stripe(*, tenant: str, payload: bytes, signature: str | None) -> dict:
    """Take one Stripe event into account (once), if it is signed by the organisation's secret."""
    found = _tenant(tenant)
    event, account = _verified(found.id, payload, signature) if found is not None else (None, None)
    if event is None:  # an unknown organisation gets the same answer: no way to find out which exist
        raise problems.WEBHOOK_UNVERIFIED("The signature does not match, or it is too old.")
    with in_world(account.sandbox):
        seen = session.scalars(sa.select(Webhook.id).where(
            Webhook.tenant_id == found.id, Webhook.sandbox.is_(account.sandbox), Webhook.event_id == event["id"])
            .execution_options(civic_tenant=found.id)).first()
        if seen is not None:
            return {"received": True, "duplicate": True, "outcome": "already_received"}
        outcome = _handle(found.id, event)
        session.add(Webhook(id=uuid.uuid4(), tenant_id=found.id, sandbox=account.sandbox, event_id=event["id"],
                            type=event["type"][:80], outcome=outcome))
        session.flush()  # a second delivery racing this one meets the unique index: a 409, and Stripe retries
    return {"received": True, "duplicate": False, "outcome": outcome}


def _handle(tenant_id: uuid.UUID, event) -> str:
    kind, obj = event["type"], event["data"]["object"].to_dict()
    if kind in INTENT_EVENTS:
        payment = service.find_by_intent(tenant_id, obj["id"])
        if payment is None:
            return "unknown_payment"
        moved = service.apply_intent(payment, intent_from(obj), source="webhook", note=kind)
        return "applied" if moved else "no_change"
    if kind == "charge.refunded":
        results = [_refund(tenant_id, item, obj.get("payment_intent"))
                   for item in ((obj.get("refunds") or {}).get("data") or [])]
        return next((o for o in ("applied", "refund_does_not_fit", "unknown_payment") if o in results), "no_change")
    if kind in REFUND_EVENTS:
        return _refund(tenant_id, obj, obj.get("payment_intent"))
    return "ignored"


def _refund(tenant_id: uuid.UUID, obj, intent_id: str | None) -> str:
    payment = service.find_by_intent(tenant_id, intent_id) if intent_id else None
    if payment is None:
        return "unknown_payment"
    refund = session.scalars(scoped(Refund, tenant_id).where(Refund.payment_id == payment.id,
                                                             Refund.provider_id == obj["id"])).first()
    if refund is None:  # made outside the platform (Stripe's dashboard): recorded, if it fits what was paid
        amount = int(obj.get("amount") or 0)
        if payment.state != "success" or not 0 < amount <= refunds.available(payment):
            return "refund_does_not_fit"
        refund = Refund(id=uuid.uuid4(), tenant_id=tenant_id, payment_id=payment.id, sandbox=payment.sandbox,
                        amount=amount, state="submitted", provider_id=obj["id"], metadata_={})
        session.add(refund)
        payment.amount_refunded += amount
        session.flush()
    moved = refunds.apply_refund(payment, refund, obj.get("status") or "pending", source="webhook")
    return "applied" if moved else "no_change"

