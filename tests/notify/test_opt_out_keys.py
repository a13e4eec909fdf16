"""The opt-out register's keys: an HMAC of the address under a subkey of the platform's keys, never a plain
hash; opt-outs kept the old way (an unsalted SHA-256, key version 1) still block, and are rewritten under
the HMAC when next used; an encryption key's rotation does not lose them."""
import base64
import hashlib
import hmac
import uuid

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from itsdangerous import URLSafeTimedSerializer

from civic.core import crypto, privacy
from civic.core.db import session, unit_of_work
from civic.core.tenancy import tenant_context
from civic.notify import recipients, unsubscribe
from civic.notify.models import OptOut
from tests.notify.conftest import stored

NEWS = "Hello ((name)), here is our news. Unsubscribe: ((unsubscribe_link))"
ADDRESS = "sam@example.org"
PLAIN_SHA256 = hashlib.sha256(f"civic-notify-opt-out:email:{ADDRESS}".encode()).hexdigest()


@pytest.fixture
def ready(org):
    org.template("newsletter", "email", NEWS, subject="Riverside news")
    return org


def news(org, to=ADDRESS, purpose="newsletter"):
    return org.send(template="newsletter", email_address=to, personalisation={"name": "Sam"}, purpose=purpose,
                    essential=False)


def opt_outs(app, org) -> list[OptOut]:
    return stored(app, OptOut, OptOut.tenant_id == org.tenant.id)


def hmac_under(app, key_index: int = 0) -> str:
    with app.app_context():
        subkey = crypto.subkeys(recipients.OPT_OUT_SUBKEY)[key_index]
    return hmac.new(subkey, f"civic-notify-opt-out:email:{ADDRESS}".encode(), hashlib.sha256).hexdigest()


def old_opt_out(app, org, *, purpose="newsletter") -> uuid.UUID:
    """An opt-out as the table held it before (the migration marks such rows version 1)."""
    opt_out_id = uuid.uuid4()
    with app.app_context(), unit_of_work(), tenant_context(org.tenant.id):
        session.add(OptOut(id=opt_out_id, tenant_id=org.tenant.id, channel="email", purpose=purpose,
                           recipient_hash=PLAIN_SHA256, key_version=1, source="api"))
    return opt_out_id


def test_the_stored_key_is_a_keyed_hmac_not_the_plain_sha256(app, client, ready):
    answer = client.post("/v1/notify/opt-outs", headers=ready.headers,
                         json={"channel": "email", "purpose": "newsletter", "email_address": "Sam@Example.org"})
    assert answer.status_code == 201
    (row,) = opt_outs(app, ready)
    assert row.recipient_hash != PLAIN_SHA256 and row.key_version == 2
    assert row.recipient_hash == hmac_under(app)
    assert ADDRESS not in answer.get_data(as_text=True).lower()
    # The subkey is the opt-out register's own: neither the Fernet key nor another purpose's key.
    with app.app_context():
        assert crypto.subkeys(recipients.OPT_OUT_SUBKEY) != crypto.subkeys("another.purpose")
        fernet_key = base64.urlsafe_b64decode(crypto._keys(app.config)[0])
        assert crypto.subkeys(recipients.OPT_OUT_SUBKEY)[0] not in (fernet_key, fernet_key[:16], fernet_key[16:])
    assert news(ready).json["status"] == "opted_out"


def test_an_opt_out_made_under_the_old_key_still_blocks_and_is_rewritten_when_used(app, ready, worker, fake_notify):
    opt_out_id = old_opt_out(app, ready)
    blocked = news(ready)
    assert blocked.status_code == 201 and blocked.json["status"] == "opted_out"
    (row,) = opt_outs(app, ready)
    assert row.id == opt_out_id and row.key_version == 2 and row.recipient_hash == hmac_under(app)
    assert news(ready).json["status"] == "opted_out"  # and still blocks under its new key
    assert news(ready, purpose="events").json["status"] == "queued"  # of its own purpose only
    worker.drain()
    assert fake_notify.sent(reference=blocked.json["id"]) == []


def test_a_batch_skips_a_recipient_opted_out_under_the_old_key(app, client, ready):
    old_opt_out(app, ready)
    created = client.post("/v1/notify/batches", headers=ready.headers, json={
        "template": "newsletter", "purpose": "newsletter", "recipients": [
            {"email_address": ADDRESS, "personalisation": {"name": "Sam"}},
            {"email_address": "alex@example.org", "personalisation": {"name": "Alex"}}]})
    assert created.status_code == 201, created.json
    assert created.json["counts"] == {"opted_out": 1, "queued": 1}
    (row,) = opt_outs(app, ready)
    assert row.key_version == 2 and row.recipient_hash == hmac_under(app)


def test_opting_out_again_finds_the_old_row_and_rewrites_it(app, client, ready):
    opt_out_id = old_opt_out(app, ready)
    again = client.post("/v1/notify/opt-outs", headers=ready.headers,
                        json={"channel": "email", "purpose": "newsletter", "email_address": ADDRESS})
    assert again.status_code == 200 and again.json["id"] == str(opt_out_id)
    (row,) = opt_outs(app, ready)
    assert row.key_version == 2 and row.recipient_hash == hmac_under(app)


def test_an_unsubscribe_link_made_before_still_unsubscribes(app, client, ready):
    with app.test_request_context():  # the payload such links carried: no key version, the plain SHA-256
        signed = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=unsubscribe.SALT).dumps(
            [str(ready.tenant.id), False, "email", "newsletter", PLAIN_SHA256])
    assert client.get(f"/v1/notify/unsubscribe/{signed}").json["unsubscribed"] is False
    assert client.post(f"/v1/notify/unsubscribe/{signed}").json["unsubscribed"] is True
    (row,) = opt_outs(app, ready)
    assert row.key_version == 1 and row.recipient_hash == PLAIN_SHA256 and row.source == "link"
    assert news(ready).json["status"] == "opted_out"


def test_a_new_unsubscribe_link_carries_the_hmac_and_its_version(app, client, ready, worker, fake_notify):
    first = news(ready)
    worker.drain()
    link = fake_notify.sent(reference=first.json["id"])[0]["one_click_unsubscribe_url"]
    with app.test_request_context():
        read = unsubscribe.read(link.rsplit("/", 1)[1])
    assert read["key"] == hmac_under(app) and read["key_version"] == 2
    assert client.post("/" + link.split("://", 1)[1].split("/", 1)[1]).json["unsubscribed"] is True
    (row,) = opt_outs(app, ready)
    assert row.key_version == 2 and row.recipient_hash == hmac_under(app)


def test_export_lists_opt_outs_kept_under_either_key(app, client, ready):
    old_opt_out(app, ready, purpose="events")
    client.post("/v1/notify/opt-outs", headers=ready.headers,
                json={"channel": "email", "purpose": "newsletter", "email_address": ADDRESS})
    with app.app_context(), unit_of_work(), tenant_context(ready.tenant.id):
        exported = privacy.export_subject(app, tenant_id=ready.tenant.id, email=ADDRESS)
    assert sorted(row["purpose"] for row in exported["notify"] if row["type"] == "opt_out") == ["events", "newsletter"]


def test_an_opt_out_survives_the_rotation_of_the_encryption_keys(app, client, ready):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = [old_key]
    ready.configure()  # the Notify key encrypted under the old key
    assert client.post("/v1/notify/opt-outs", headers=ready.headers, json={
        "channel": "email", "purpose": "newsletter", "email_address": ADDRESS}).status_code == 201
    (row,) = opt_outs(app, ready)
    assert row.recipient_hash == hmac_under(app)
    app.config["ENCRYPTION_KEYS"] = [new_key, old_key]  # a new key first; the old one kept while it is used
    assert row.recipient_hash == hmac_under(app, 1) != hmac_under(app, 0)
    assert news(ready).json["status"] == "opted_out"
    (row,) = opt_outs(app, ready)
    assert row.recipient_hash == hmac_under(app, 0)  # rewritten under the newest key when it was used
    app.config["ENCRYPTION_KEYS"] = [new_key]
    assert news(ready).json["status"] == "opted_out"
