"""Demo data for `civic demo`: every demo organisation's sandbox can send at once (idempotent).

Each gets a sandbox Notify configuration with a public test key (sandbox messages only ever reach the
simulated Notify) and names for the simulator's three templates, so the README's curl examples work.
"""
import uuid

import sqlalchemy as sa

from civic.core import crypto
from civic.core.db import session
from civic.notify.models import Config, Template
from civic.notify.simulator import DEMO_TEMPLATES, placeholders

DEMO_KEY = "riverside_demo-3d6a1f0e-2b4c-4d5e-8f60-718293a4b5c6-9e8d7c6b-5a49-4837-a261-5f4e3d2c1b0a"
NAMES = dict(zip(DEMO_TEMPLATES, ("booking_confirmation", "collection_reminder", "pothole_repaired_letter")))


def seed(tenant_ids_by_slug: dict) -> None:
    for tenant_id in tenant_ids_by_slug.values():
        exists = session.scalar(sa.select(Config.id).where(Config.tenant_id == tenant_id, Config.sandbox.is_(True)))
        if exists:
            continue
        service_id = "3d6a1f0e-2b4c-4d5e-8f60-718293a4b5c6"
        session.add(Config(id=uuid.uuid4(), tenant_id=tenant_id, sandbox=True, key_ciphertext=crypto.encrypt(DEMO_KEY),
                           key_name="riverside_demo", service_id=service_id, key_type="test",
                           triggers=[{"event_type": "civic.booking.confirmed", "template": "booking_confirmation",
                                      "purpose": "service"}]))
        for template_id, template in DEMO_TEMPLATES.items():
            session.add(Template(id=uuid.uuid4(), tenant_id=tenant_id, sandbox=True, name=NAMES[template_id],
                                 notify_template_id=template_id, channel=template["type"], notify_name=template["name"],
                                 version=1, fields=placeholders(template["subject"], template["body"])))
    session.flush()
