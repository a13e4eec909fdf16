"""Secrets at rest are encrypted with rotatable keys; the audit log is append-only."""
import uuid

import pytest
import sqlalchemy as sa

from civic.core import audit, crypto
from civic.core.db import session, unit_of_work
from civic.core.tenancy import place_wide


def test_a_secret_round_trips_and_is_not_stored_in_clear(app):
    with app.app_context(), place_wide("tests.inspection"):
        token = crypto.encrypt("sk_live_stripe_key")
        assert "sk_live" not in token
        assert crypto.decrypt(token) == "sk_live_stripe_key"
        assert crypto.encrypt("sk_live_stripe_key") != token  # fresh IV each time


def test_rotation_puts_a_new_key_first_and_old_values_still_read(new_app):
    old, new = crypto.new_key(), crypto.new_key()
    before = new_app(ENCRYPTION_KEYS=[old])
    with before.app_context(), place_wide("tests.inspection"):
        token = crypto.encrypt("notify-api-key")
    after = new_app(ENCRYPTION_KEYS=[new, old])
    with after.app_context(), place_wide("tests.inspection"):
        assert crypto.decrypt(token) == "notify-api-key"
        rotated = crypto.rotate(token)
    only_new = new_app(ENCRYPTION_KEYS=[new])
    with only_new.app_context(), place_wide("tests.inspection"):
        assert crypto.decrypt(rotated) == "notify-api-key"
        with pytest.raises(ValueError, match="key that encrypted this value is not configured"):
            crypto.decrypt(token)


def test_a_value_from_an_unknown_key_fails_clearly(new_app):
    with new_app(ENCRYPTION_KEYS=[crypto.new_key()]).app_context():
        token = crypto.encrypt("secret")
    with new_app(ENCRYPTION_KEYS=[crypto.new_key()]).app_context():
        with pytest.raises(ValueError, match="not configured"):
            crypto.decrypt(token)
        with pytest.raises(ValueError, match="not configured"):
            crypto.rotate(token)
        with pytest.raises(ValueError, match="not configured"):
            crypto.decrypt("not even a token")


def test_record_writes_an_entry_with_the_actor(app, client, make, steward):
    tenant = make.tenant("food-bank")
    # A write request: a read on SQLite writes its entries after the request (tests/core/test_deferred_audit.py).
    with app.test_request_context("/v1/anything", method="POST", headers=steward):
        app.preprocess_request()  # the core's before_request step validates the token
        entry = audit.record("booking.personal_data_read", tenant_id=tenant.id, subject_type="booking",
                             subject_id=uuid.UUID(int=7), detail={"fields": ["email"]})
        session.commit()
    with app.app_context(), place_wide("tests.inspection"):
        stored = session.get(audit.AuditEntry, entry.id)
        assert stored.actor.startswith("client:") and stored.action == "booking.personal_data_read"
        assert stored.tenant_id == tenant.id and stored.subject_id == str(uuid.UUID(int=7))
        assert stored.time.tzinfo is not None
        system = audit.record("retention.swept", tenant_id=None, subject_type="platform")
        assert system.actor == "system"


@pytest.mark.parametrize("statement", ["UPDATE core_audit SET action = 'nothing.happened'", "DELETE FROM core_audit"])
def test_the_audit_log_refuses_updates_and_deletes(app, make, statement):
    make.tenant("food-bank")  # writes a tenant.created entry
    with app.app_context(), place_wide("tests.inspection"):
        before = [tuple(r) for r in session.execute(sa.text("SELECT id, action FROM core_audit"))]
        session.rollback()
        assert before
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with unit_of_work():
                session.execute(sa.text(statement))
        assert [tuple(r) for r in session.execute(sa.text("SELECT id, action FROM core_audit"))] == before
