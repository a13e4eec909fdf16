"""Demo data for `civic demo`: a live data-sharing agreement, so the API's referral examples work (idempotent).

The council refers isolated residents to the food bank's befriending service under it; both organisations'
admins have approved it, and the food bank has a `befriending` case type to accept referrals into. It is
sandbox data, like the demo clients that use it.
"""
import datetime as dt
import uuid

import sqlalchemy as sa

from civic.casework import case_types, schemas
from civic.casework.models import Agreement, CaseType
from civic.core.db import session, utcnow

AGREEMENT_ID = uuid.UUID("7c6b5a49-3827-4615-a0b9-c8d7e6f5a4b3")  # the referral request's example


BEFRIENDING = {"states": [{"name": "new", "sla": {"working_days": 5}}, {"name": "matched"}, {"name": "closed"}],
               "initial_state": "new", "final_states": ["closed"],
               "transitions": [{"from": "new", "to": "matched"}, {"from": "matched", "to": "closed"},
                               {"from": "new", "to": "closed"}]}


def seed(tenant_ids_by_slug: dict) -> None:
    if session.get(Agreement, AGREEMENT_ID) is not None:
        return
    food_bank = tenant_ids_by_slug["food-bank"]
    if session.scalar(sa.select(CaseType.id).where(CaseType.tenant_id == food_bank, CaseType.sandbox.is_(True),
                                                   CaseType.key == "befriending")) is None:
        loaded = schemas.CaseTypeSchema().load({"key": "befriending", "name": "Befriending", **BEFRIENDING})
        definition = {key: loaded[key] for key in case_types.DEFINITION_KEYS if key in loaded}
        case_types.check_definition(definition)
        session.add(CaseType(id=uuid.uuid4(), tenant_id=food_bank, sandbox=True, key="befriending", version=1,
                             name="Befriending", description="A resident matched with a volunteer befriender.",
                             definition=definition, metadata_={}))
    today, now = utcnow().date(), utcnow()
    session.add(Agreement(
        id=AGREEMENT_ID, tenant_id=tenant_ids_by_slug["borough-council"], sandbox=True,
        partner_tenant_id=tenant_ids_by_slug["food-bank"], title="Social prescribing referrals to befriending",
        proposer_role="controller", partner_role="controller",
        purpose="To refer isolated residents to the befriending service and hear how it went.",
        lawful_basis="consent", shared_fields=["subject.name", "subject.phone", "title", "notes"],
        retention_days=365, starts_on=today.replace(month=1, day=1), ends_on=dt.date(today.year + 2, 12, 31),
        review_on=dt.date(today.year + 1, 6, 30), rights_contact="dpo@riverside.example", status="active",
        proposer_approved_by="demo", proposer_approved_at=now, partner_approved_by="demo", partner_approved_at=now))
    session.flush()
