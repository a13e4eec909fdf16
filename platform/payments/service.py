"""Payments business logic: keyword-only functions, tenant first. They flush; the core commits.

A payment's state only changes through `apply_intent`, whatever told us (the API, a webhook, the
reconciliation job, the expiry job or the simulated provider): it moves forward only, records each
step in the payment's history and emits the payment's event when it finishes.
"""
import datetime as dt
import uuid

from flask import current_app

from civic.core import audit, crypto, jobs
from civic.core.db import session, utcnow
from civic.core.pagination import paginate
from civic.core.tenancy import current_world_is_sandbox, get_scoped, scoped
from civic.payments import events, kept, problems, states
from civic.payments.models import FINISHED, Account, Payment, PaymentEvent
from civic.payments.provider import Intent, ProviderFailure, SimulatedProvider, StripeProvider

EXPIRE_JOB = "payments.expire"
CANCEL_AT_PROVIDER_JOB = "payments.cancel_at_provider"
RETRY_NAMESPACE = uuid.UUID("4f1c2d8e-5b7a-4e44-9f0e-2a6c1b3d9e70")
FINISH_EVENTS = {"success": events.PAYMENT_SUCCEEDED, "failed": events.PAYMENT_FAILED,
                 "error": events.PAYMENT_FAILED, "cancelled": events.PAYMENT_CANCELLED}


# --- the organisation's Stripe account -------------------------------------------------
def _mode(secret_key: str, publishable_key: str) -> str:
    modes = {key.split("_")[1] for key in (secret_key, publishable_key)}
    if len(modes) != 1:
        raise problems.KEYS_MISMATCH("One key is a test key and the other a live key.",
                                     errors={"publishable_key": ["Must be of the same mode as secret_key."]})
    return modes.pop()


def set_account(*, tenant_id: uuid.UUID, secret_key: str, publishable_key: str, webhook_secret: str) -> Account:
    """Store (or replace) the organisation's Stripe keys for the caller's world, encrypted."""
    mode = _mode(secret_key, publishable_key)
    if mode == "live" and current_world_is_sandbox():
        raise problems.LIVE_KEYS_IN_SANDBOX("A sandbox client may store Stripe test keys only.",
                                            errors={"secret_key": ["Use sk_test_..."]})
    account = _account(tenant_id, lock=True) or Account(id=uuid.uuid4(), tenant_id=tenant_id)
    account.mode = mode
    for name, value in (("secret_key", secret_key), ("publishable_key", publishable_key),
                        ("webhook_secret", webhook_secret)):
        setattr(account, name, crypto.encrypt(value))
        setattr(account, f"{name}_last4", value[-4:])
    session.add(account)
    session.flush()
    audit.record("payments.account_set", tenant_id=tenant_id, subject_type="payments_account",
                 subject_id=account.id, detail={"mode": mode, "fields": ["secret_key", "publishable_key",
                                                                          "webhook_secret"]})
    return account


def _account(tenant_id: uuid.UUID, *, lock: bool = False) -> Account | None:
    query = scoped(Account, tenant_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def get_account(*, tenant_id: uuid.UUID) -> dict:
    """What is set up for the caller's world: the keys' last four characters and their mode, never the keys."""
    account = _account(tenant_id)
    if account is None:
        simulated = current_world_is_sandbox()
        return {"configured": simulated, "provider": "simulated" if simulated else None, "mode": "test" if simulated else None}
    return {"configured": True, "provider": "stripe", "mode": account.mode, "updated_at": account.updated_at,
            "secret_key_last4": account.secret_key_last4, "publishable_key_last4": account.publishable_key_last4,
            "webhook_secret_last4": account.webhook_secret_last4}


def provider_for(tenant_id: uuid.UUID, payment: Payment | None = None):
    """The provider of a payment (or, for a new one, of the caller's world), and its publishable key."""
    if payment is not None and payment.provider == "simulated":
        return SimulatedProvider(), None
    account = _account(tenant_id)
    if account is not None:
        return StripeProvider(account), account
    if payment is None and current_world_is_sandbox():
        return SimulatedProvider(), None
    raise problems.NOT_CONFIGURED("Set your Stripe keys with PUT /v1/payments/account first.")


def publishable_key(account) -> str:
    return crypto.decrypt(account.publishable_key) if account is not None else "pk_test_simulated"


def failed_call(failure: ProviderFailure):
    """The problem answering a provider failure (the record it concerned is kept by `kept.keep`)."""
    headers = {"Retry-After": str(failure.retry_after)}
    if failure.kind == "busy":
        return problems.PROVIDER_BUSY("Stripe asked us to slow down. Retry shortly.", headers=headers)
    if failure.kind == "unavailable":
        return problems.PROVIDER_UNAVAILABLE("Stripe did not answer in time. Retry with the same Idempotency-Key.",
                                             headers=headers)
    return problems.PROVIDER_ERROR("Stripe could not do this. Retry later with the same Idempotency-Key.",
                                   headers=headers)


# --- payments ---------------------------------------------------------------------------
def retry_id(tenant_id: uuid.UUID, retry_key: str | None) -> uuid.UUID:
    """A payment's id: the same for a retry with the same Idempotency-Key from the same caller."""
    return uuid.uuid5(RETRY_NAMESPACE, f"{tenant_id}/{retry_key}") if retry_key else uuid.uuid4()


def history(payment: Payment, source: str, note: str | None = None, refund_id=None) -> PaymentEvent:
    entry = PaymentEvent(id=uuid.uuid4(), tenant_id=payment.tenant_id, payment_id=payment.id, sandbox=payment.sandbox,
                         state=payment.state, provider_status=payment.provider_status, source=source, note=note,
                         refund_id=refund_id, created_at=utcnow())
    session.add(entry)
    return entry


def _shown(tenant_id, payments, changed: bool = False) -> None:
    """The answer shows these payers' email addresses (payments without one show no personal data)."""
    ids = [p.id for p in payments if p.email]
    if ids:
        (audit.personal_data_changed if changed else audit.personal_data_read)(
            component="payments", subject_type="payment", ids=ids, tenant_id=tenant_id)


def create_payment(*, tenant_id: uuid.UUID, amount: int, description: str, reference: str, return_url: str,
                   currency: str = "GBP", email: str | None = None, delayed_capture: bool = False,
                   metadata_: dict | None = None, link: dict | None = None, retry_key: str | None = None) -> dict:
    """Create a payment and its Stripe PaymentIntent; answer with what the payment page needs."""
    payment_id = retry_id(tenant_id, retry_key)
    provider, account = provider_for(tenant_id)
    payment = session.scalars(scoped(Payment, tenant_id).where(Payment.id == payment_id)
                              .with_for_update().execution_options(populate_existing=True)).first()
    written = []  # the rows this call adds, kept if Stripe fails
    if payment is None:
        now = utcnow()
        payment = Payment(id=payment_id, tenant_id=tenant_id, amount=amount, currency=currency, description=description,
                          reference=reference, return_url=return_url, email=email, delayed_capture=delayed_capture,
                          metadata_=metadata_ or {}, link_type=(link or {}).get("type"), link_id=(link or {}).get("id"),
                          state="created", finished=False, provider=provider.name, amount_refunded=0,
                          expires_at=now + dt.timedelta(minutes=current_app.config["PAYMENTS_EXPIRY_MINUTES"]),
                          sandbox=current_world_is_sandbox(), created_at=now, updated_at=now)
        session.add(payment)
        session.flush()
        written.append(history(payment, "api", "created"))
        jobs.enqueue(EXPIRE_JOB, {"payment_id": str(payment.id), "sandbox": payment.sandbox}, tenant_id=tenant_id,
                     run_at=payment.expires_at)
    if payment.finished:  # a retry of a payment that finished meanwhile: nothing more to pay
        return _for_the_page(payment, None, account)
    try:  # a resumed payment: Stripe receives the same idempotency key, and answers with the same intent
        intent = provider.retrieve(payment) if payment.provider_id else provider.create_intent(payment)
    except ProviderFailure as failure:
        payment.provider_status = "unknown"
        note = history(payment, "provider_error", f"creating the intent failed: {failure.kind}")
        session.flush()
        kept.keep(payment, *written, note, job=(EXPIRE_JOB, {"payment_id": str(payment.id), "sandbox": payment.sandbox},
                                      tenant_id, payment.expires_at))
        raise failed_call(failure) from None
    payment.provider_id = intent.id
    apply_intent(payment, intent, source="api")
    session.flush()
    _shown(tenant_id, [payment], changed=True)
    return _for_the_page(payment, intent.client_secret, account)


def _for_the_page(payment: Payment, client_secret: str | None, account) -> Payment:
    """The payment, carrying (for this answer only, never stored) what the payer's page needs."""
    payment.client_secret, payment.publishable_key = client_secret, publishable_key(account)
    return payment


def apply_intent(payment: Payment, intent, *, source: str, note: str | None = None, reason: str = "declined") -> bool:
    """Move the payment to the state Stripe's intent says, if that is forward; True if it moved."""
    state = "error" if intent.status == "provider_error" else states.pay_state(intent.status, declined=intent.declined)
    if intent.status != "provider_error" and not (payment.finished and state != "success"):
        payment.provider_status = intent.status
    if not states.moves_forward(payment.state, state):
        return False
    payment.state, payment.finished = state, state in FINISHED
    if state == "success":
        payment.failure_code = payment.failure_message = None
        if payment.delayed_capture:
            payment.captured_at = utcnow()
    elif payment.finished:
        payment.failure_code, payment.failure_message = {
            "failed": {"declined": states.DECLINED, "expiry": states.EXPIRED, "user": states.CANCELLED_BY_USER}[reason],
            "cancelled": states.CANCELLED_BY_SERVICE, "error": states.PROVIDER_ERROR}[state]
    history(payment, source, note)
    session.flush()
    if payment.finished:
        event = events.PAYMENT_EXPIRED if reason == "expiry" and state == "failed" else FINISH_EVENTS[state]
        event.emit(tenant_id=payment.tenant_id, subject=str(payment.id), data=events.payment_data(payment))
        if state in ("failed", "error") and payment.provider == "stripe" and intent.status != "canceled":
            # The person cannot try again on this intent: a new attempt is a new payment, as in Pay.
            jobs.enqueue(CANCEL_AT_PROVIDER_JOB, {"payment_id": str(payment.id), "sandbox": payment.sandbox},
                         tenant_id=payment.tenant_id)
    return True


def get_payment(*, tenant_id: uuid.UUID, payment_id, lock: bool = False) -> Payment:
    payment = get_scoped(Payment, tenant_id, payment_id, what="payment", lock=lock)
    _shown(tenant_id, [payment])
    return payment


def list_payments(*, tenant_id: uuid.UUID, state: str | None = None, reference: str | None = None,
                  email: str | None = None, from_date: dt.datetime | None = None, to_date: dt.datetime | None = None,
                  limit: int = 20, after: str | None = None) -> dict:
    """One page of payments, by state, your reference, the payer's email or when they were created."""
    query = scoped(Payment, tenant_id)
    for column, value in ((Payment.state, state), (Payment.reference, reference), (Payment.email, email)):
        if value is not None:
            query = query.where(column == value)
    if from_date is not None:
        query = query.where(Payment.created_at >= from_date)
    if to_date is not None:
        query = query.where(Payment.created_at < to_date)
    page = paginate(query, Payment, limit=limit, after=after)
    _shown(tenant_id, page["items"])
    return page


def list_events(*, tenant_id: uuid.UUID, payment_id) -> dict:
    """The payment's history, oldest first."""
    payment = get_scoped(Payment, tenant_id, payment_id, what="payment")
    items = list(session.scalars(scoped(PaymentEvent, tenant_id).where(PaymentEvent.payment_id == payment.id)
                                 .order_by(PaymentEvent.created_at, PaymentEvent.id)))
    return {"payment_id": payment.id, "items": items}


def simulate(*, tenant_id: uuid.UUID, payment_id, card_number: str | None = None,
             authenticate: bool | None = None) -> Payment:
    """Play a test card on a simulated payment, as the payer would on Stripe's page."""
    payment = get_payment(tenant_id=tenant_id, payment_id=payment_id, lock=True)
    if payment.provider != "simulated":
        raise problems.SIMULATION_ONLY("This payment goes to Stripe: take the card with Stripe's elements.")
    if payment.finished:
        raise problems.PAYMENT_FINISHED(f"This payment is already {payment.state}.")
    apply_intent(payment, SimulatedProvider().play(payment, card_number, authenticate), source="simulation",
                 note=f"card ending {card_number[-4:]}" if card_number else "authentication")
    return payment


def _provider_call(fn, payment):
    try:
        return fn(payment)
    except ProviderFailure as failure:
        raise failed_call(failure) from None


def cancel_payment(*, tenant_id: uuid.UUID, payment_id) -> Payment:
    """Cancel an unfinished payment (GOV.UK Pay code P0040); no money is taken."""
    payment = get_payment(tenant_id=tenant_id, payment_id=payment_id, lock=True)
    if payment.finished:
        raise problems.NOT_CANCELLABLE(f"This payment is already {payment.state}.")
    provider, _ = provider_for(tenant_id, payment)
    intent = _provider_call(provider.retrieve, payment) if payment.provider_id else None
    if intent is None or states.pay_state(intent.status, declined=intent.declined) not in FINISHED:
        intent = _provider_call(provider.cancel, payment) if payment.provider_id else None
    if intent is None:  # its intent was never made (Stripe failed): nothing to cancel there
        intent = Intent(id="", status="canceled")
    apply_intent(payment, intent, source="api", note="cancelled by the service")
    return payment


def capture_payment(*, tenant_id: uuid.UUID, payment_id) -> Payment:
    """Take the money of a delayed-capture payment whose card was authorised."""
    payment = get_payment(tenant_id=tenant_id, payment_id=payment_id, lock=True)
    if payment.state != "capturable":
        raise problems.NOT_CAPTURABLE(f"This payment is {payment.state}, not capturable.")
    provider, _ = provider_for(tenant_id, payment)
    apply_intent(payment, _provider_call(provider.capture, payment), source="api", note="captured")
    return payment


def expire_payment(*, tenant_id: uuid.UUID, payment_id) -> bool:
    """The job: a payment unfinished at its expiry time fails with P0020 (its intent is cancelled first)."""
    payment = session.scalars(scoped(Payment, tenant_id).where(Payment.id == uuid.UUID(str(payment_id)))
                              .with_for_update().execution_options(populate_existing=True)).first()
    if payment is None or payment.finished or payment.expires_at > utcnow():
        return False
    provider, _ = provider_for(tenant_id, payment)
    if payment.provider_id:
        intent = provider.retrieve(payment)  # a failure raises: the job is retried later
        if apply_intent(payment, intent, source="expiry") and payment.finished:
            return True  # it had finished meanwhile (its webhook was lost)
        if intent.status != "canceled":
            provider.cancel(payment)
    return apply_intent(payment, Intent(id=payment.provider_id or "", status="requires_payment_method", declined=True),
                        source="expiry", note="not finished in time", reason="expiry")


def cancel_at_provider(*, tenant_id: uuid.UUID, payment_id) -> None:
    """The job: cancel the intent of a failed payment, so no later card can be taken on it."""
    payment = session.scalars(scoped(Payment, tenant_id).where(Payment.id == uuid.UUID(str(payment_id)))).first()
    if payment is None or not payment.provider_id or payment.provider != "stripe":
        return
    provider, _ = provider_for(tenant_id, payment)
    intent = provider.retrieve(payment)
    if intent.status in ("requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"):
        provider.cancel(payment)
    elif intent.status == "succeeded":
        apply_intent(payment, intent, source="reconciliation", note="money taken after the failure")


def find_by_intent(tenant_id: uuid.UUID, intent_id: str, *, lock: bool = True) -> Payment | None:
    query = scoped(Payment, tenant_id).where(Payment.provider_id == intent_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()
