"""Demo data for `civic demo`: a bulky-waste round for the council and a clinic with few places (idempotent).

The demo credentials are public sandbox clients, so the resources are sandbox records: anyone can book
them through the README's examples without touching an organisation's real diary.
"""
import sqlalchemy as sa

from civic.booking import service
from civic.booking.models import Resource
from civic.core.db import session

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
DEMO = {
    "borough-council": dict(
        reference="demo-bulky-waste", name="Bulky waste collection", kind="collection_round", capacity=8,
        description="Collection of up to three large household items from the kerbside. Closed on bank holidays.",
        slot_minutes=240, min_notice_minutes=48 * 60, max_advance_days=42,
        opening_hours={day: [{"start": "08:00", "end": "16:00"}] for day in WEEKDAYS}),
    "community-health": dict(
        reference="demo-clinic", name="Community clinic: blood tests", kind="session", capacity=3,
        description="Walk-in style appointments with limited places in each 15-minute session.",
        slot_minutes=15, min_notice_minutes=60, max_advance_days=28,
        opening_hours={"tuesday": [{"start": "09:30", "end": "12:30"}, {"start": "13:30", "end": "16:00"}],
                       "thursday": [{"start": "09:30", "end": "12:30"}]}),
}


def seed(tenant_ids_by_slug: dict) -> None:
    for slug, fields in DEMO.items():
        tenant_id = tenant_ids_by_slug.get(slug)
        if tenant_id is None:
            continue
        exists = session.scalar(sa.select(sa.func.count()).select_from(Resource).where(
            Resource.tenant_id == tenant_id, Resource.sandbox.is_(True), Resource.reference == fields["reference"]))
        if not exists:
            service.create_resource(tenant_id=tenant_id, sandbox=True, **fields)
