"""Helpers for the erasure and rectification tests: Sam across five components, and the whole database as text."""
import datetime as dt
import uuid

import sqlalchemy as sa

from civic.core.db import session, unit_of_work, utcnow
from civic.core.tenancy import tenant_context
from civic.notify.models import Message
from civic.payments.models import Payment

# Sam's values as each component stores them (and as typed), searched for in the dump.
SAM_STORED = ("sam@example.org", "sam citizen", "+442079460018", "9434765919")
SAM_VALUES = (*SAM_STORED, "020 7946 0018", "02079460018")  # and as typed
ALEX = {"name": "Alex Other", "email": "alex@example.org", "phone": "020 7946 0999",
        "date_of_birth": "1990-01-02", "nhs_number": "401 023 2137", "postcode": "SW1A 2AA"}
ALEX_VALUES = ("alex@example.org", "alex other", "+442079460999", "4010232137")


def close_case(org, case_id) -> None:
    for to in ("triage", "closed"):
        org.post(f"/v1/casework/cases/{case_id}/transition", {"to": to}, status=200)


def held_elsewhere(app, tenant_id, *, email: str, phone: str, name: str = "") -> dict:
    """A payment and a sent message for the person (made as their components record them)."""
    with app.app_context(), tenant_context(tenant_id), unit_of_work():
        payment = Payment(id=uuid.uuid4(), tenant_id=tenant_id, amount=1500, description=f"Allotment rent, {name} ({email})",
                          reference="ALLOT-1", return_url="https://example.org/done", email=email,
                          expires_at=utcnow() + dt.timedelta(hours=1))
        messages = [Message(id=uuid.uuid4(), tenant_id=tenant_id, channel=channel, template_name="reminder",
                            notify_template_id=str(uuid.uuid4()), recipient=to, personalisation={"to": to},
                            status="delivered", purge_after=utcnow() + dt.timedelta(days=7))
                    for channel, to in (("email", email), ("sms", phone))]
        session.add_all([payment, *messages])
        session.flush()
        return {"payment": str(payment.id), "messages": [str(m.id) for m in messages]}


def seed_all(org, app, subject) -> dict:
    """The person in booking, reporting, casework (case closed), payments, notify and the consent register."""
    from civic.core import contact

    ids = org.seed(subject)
    org.post(f"/v1/casework/cases/{ids['case']}/notes", {"body": f"Rang {subject['name']} on {subject['phone']}"})
    # Free text that names them, as staff write it: the record stays, the mentions go.
    org.post(f"/v1/reporting/reports/{ids['report']}/status",
             {"status": "in_progress", "note": f"Rang {subject['name'].upper()} back on {subject['phone']}"}, status=200)
    close_case(org, ids["case"])
    ids["consent"] = org.post("/v1/privacy/consents", {
        "subject": {k: subject[k] for k in ("name", "email", "phone")}, "purpose": "newsletter",
        "description": f"News for {subject['name']}", "collection_method": "web form"})["id"]
    ids.update(held_elsewhere(app, org.tenant.id, email=subject["email"], phone=contact.phone(subject["phone"]),
                               name=subject["name"]))
    return ids


def dump(app) -> str:
    """Every row of every table in the database, as lower-case text (a backup's view of it)."""
    engine = app.extensions["civic.engine"]
    tables = sa.MetaData()
    tables.reflect(engine)
    parts = []
    with engine.connect() as conn:
        for table in tables.sorted_tables:
            parts += [repr(tuple(row)) for row in conn.execute(sa.select(table))]
    return "\n".join(parts).lower()


def table_rows(app, name: str) -> list:
    engine = app.extensions["civic.engine"]
    with engine.connect() as conn:
        return list(conn.execute(sa.text(f"SELECT * FROM {name}")))


def backdate(app, ids: dict, when: dt.datetime) -> None:
    """Make the records `seed_all` returned look as old as a backup taken at `when` (a restore brings back rows
    made before the erasure)."""
    from civic.booking.models import Booking
    from civic.casework.models import Case
    from civic.core.tenancy import place_wide
    from civic.privacy.models import Consent
    from civic.reporting.models import Report

    rows = [(Booking, ids["booking"]), (Report, ids["report"]), (Case, ids["case"]), (Payment, ids["payment"]),
            (Consent, ids["consent"]),
            *((Message, m) for m in ids["messages"])]
    with app.app_context(), place_wide("platform.operator"), unit_of_work():
        for model, row_id in rows:
            session.execute(sa.update(model).where(model.id == uuid.UUID(row_id)).values(created_at=when))
