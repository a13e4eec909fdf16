"""Demo data: realistic categories for the demo organisations and a few months of synthetic reports.

These are the place's public picture (open data, insight, Open311 services), which
leave sandbox reports out, so they are seeded deliberately as live records owned by
no client (source "demo"), even though `civic demo` runs its hooks in the sandbox
world. What the public sandbox demo clients then write is sandbox and stays out of it.
The same generator fills the benchmark database (bench/reporting_data.py).
"""
import datetime as dt
import random
import uuid

import sqlalchemy as sa

from civic.core.db import session, utcnow
from civic.core.tenancy import in_world, place_wide
from civic.reporting import rollup
from civic.reporting.models import Category, Report, ReportUpdate
from civic.reporting.service import locate, week_of

CENTRE = (51.4545, -2.5879)  # the fictional Riverside
YES_NO = [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}]


def _list(code, description, datatype, values, required=False, order=None):
    return {"code": code, "datatype": datatype, "required": required, "order": order, "description": description,
            "values": [{"key": k, "name": n} for k, n in values]}


# slug -> [(category fields, reports per week)]
CATEGORIES = {
    "borough-council": [
        ({"code": "fly-tipping", "name": "Fly-tipping", "group": "Street cleaning", "lgsl_code": "1137",
          "keywords": ["rubbish", "dumped", "waste"], "description": "Rubbish dumped on the street or open land.",
          "attributes": [_list("waste", "What has been dumped?", "multivaluelist",
                               [("household", "Household rubbish"), ("furniture", "Furniture"),
                                ("building", "Building rubble"), ("hazardous", "Chemicals or asbestos")], True, 1),
                         _list("size", "How much is there?", "singlevaluelist",
                               [("bag", "A bag or two"), ("car", "A car boot load"), ("van", "A van load or more")],
                               True, 2)]}, 30),
        ({"code": "pothole", "name": "Pothole", "group": "Roads", "lgsl_code": "1193",
          "keywords": ["road", "hole", "pavement"], "description": "A hole in a road, pavement or cycle lane.",
          "attributes": [_list("depth", "How deep is it?", "singlevaluelist",
                               [("shallow", "Under 5 cm"), ("deep", "5 cm or more")], True, 1)]}, 25),
        ({"code": "streetlight-out", "name": "Streetlight not working", "group": "Roads", "lgsl_code": "1201",
          "keywords": ["lamp", "light", "dark"], "description": "A street lamp that is off, flickering or on all day.",
          "attributes": [{"code": "column", "datatype": "string", "required": False, "order": 1,
                          "description": "The number on the lamp post, if you can see it."}]}, 12),
        ({"code": "graffiti", "name": "Graffiti", "group": "Street cleaning", "lgsl_code": "1135",
          "keywords": ["tagging", "vandalism"], "description": "Graffiti on public buildings, walls or street furniture.",
          "attributes": [_list("offensive", "Is it offensive or racist?", "singlevaluelist",
                               [(v["key"], v["name"]) for v in YES_NO], True, 1)]}, 10),
        ({"code": "overflowing-bin", "name": "Overflowing litter bin", "group": "Street cleaning",
          "keywords": ["bin", "litter"], "description": "A public litter bin that is full."}, 15),
    ],
    "food-bank": [
        ({"code": "needs-help", "name": "Someone needs help", "group": "Help and support", "public": False,
          "keywords": ["food", "hungry", "struggling"],
          "description": "Someone you know is going without food or heating.",
          "attributes": [_list("needs", "What do they need?", "multivaluelist",
                               [("food", "Food"), ("heating", "Heating or energy"), ("advice", "Money advice")],
                               True, 1)]}, 8),
    ],
    "community-health": [
        ({"code": "worried-about-someone", "name": "Worried about someone's health", "group": "Help and support",
          "public": False, "keywords": ["lonely", "unwell", "vulnerable"],
          "description": "An older or vulnerable person who may not be coping."}, 5),
        ({"code": "discarded-needles", "name": "Discarded needles", "group": "Street cleaning",
          "keywords": ["syringe", "sharps"], "description": "Needles or syringes left in a public place."}, 3),
    ],
    "riverside-homes": [
        ({"code": "damp-mould", "name": "Damp and mould in a rented home", "group": "Housing", "public": False,
          "lgsl_code": "1470", "keywords": ["damp", "mould", "condensation"],
          "description": "Damp or mould in a home you rent from us.",
          "attributes": [_list("rooms", "Which rooms?", "multivaluelist",
                               [("bedroom", "Bedroom"), ("bathroom", "Bathroom"), ("kitchen", "Kitchen"),
                                ("living", "Living room")], True, 1),
                         _list("children", "Do children live in the home?", "singlevaluelist",
                               [(v["key"], v["name"]) for v in YES_NO], False, 2)]}, 6),
        ({"code": "communal-repair", "name": "Repair in a shared area", "group": "Housing",
          "keywords": ["stairs", "lift", "door"], "description": "Broken doors, lifts or lights in shared areas."}, 7),
    ],
}
DESCRIPTIONS = ["Reported by a neighbour.", "Has been there for a few days.", "Getting worse.",
                "Near the bus stop.", "Outside the primary school.", "Second time this month."]


def _answers(category: Category, rng: random.Random) -> dict:
    answers = {}
    for attribute in category.attributes:
        keys = [v["key"] for v in attribute["values"]]
        if attribute["datatype"] == "singlevaluelist":
            answers[attribute["code"]] = rng.choice(keys)
        elif attribute["datatype"] == "multivaluelist":
            answers[attribute["code"]] = rng.sample(keys, rng.randint(1, min(2, len(keys))))
    return answers


def synthetic_rows(*, tenant_id: uuid.UUID, categories: list[tuple[Category, float]], weeks: int,
                   now: dt.datetime, rng: random.Random, centre=CENTRE, spread: float = 0.03) -> list[dict]:
    """Report rows (for a bulk insert) over the last `weeks` weeks, each category at its weekly rate."""
    rows = []
    for category, per_week in categories:
        total = max(1, int(per_week * weeks * rng.uniform(0.8, 1.2)))
        for _ in range(total):
            created = now - dt.timedelta(seconds=rng.uniform(0, weeks * 7 * 86400))
            lat, long = centre[0] + rng.gauss(0, spread), centre[1] + rng.gauss(0, spread * 1.6)
            age = (now - created).days
            status = "closed" if age > 21 and rng.random() < 0.85 else rng.choice(["open", "acknowledged", "in_progress"])
            rows.append({
                "id": uuid.UUID(int=rng.getrandbits(128), version=4), "tenant_id": tenant_id,
                "category_id": category.id, "status": status,
                "closing_reason": rng.choice(["fixed", "fixed", "fixed", "duplicate", "not_responsible", "referred"])
                if status == "closed" else None,
                "description": rng.choice(DESCRIPTIONS), "lat": lat, "long": long, "address": None,
                "uprn": None, "usrn": str(rng.randint(10_000_000, 10_000_400)),
                **locate(lat, long), "week": week_of(created),
                "answers": _answers(category, rng), "media_url": None, "reporter_name": None, "reporter_email": None,
                "reporter_phone": None, "token": f"{rng.getrandbits(64):016x}", "source": "demo", "sandbox": False,
                "transferred_from_tenant_id": None, "reference": None, "metadata_": {},
                "created_at": created, "updated_at": created})
    return rows


def _live_world():
    """The place's public data is live, whatever world the caller seeds the demo in."""
    return in_world(False)


def seed(tenant_ids_by_slug: dict) -> None:
    """Give each demo organisation its categories and, once, 16 weeks of reports (a fly-tipping spike last)."""
    with _live_world(), place_wide("platform.operator"):
        _seed(tenant_ids_by_slug)


def _seed(tenant_ids_by_slug: dict) -> None:
    now = utcnow()
    for slug, definitions in CATEGORIES.items():
        tenant_id = tenant_ids_by_slug.get(slug)
        if tenant_id is None:
            continue
        rng = random.Random(slug)
        categories = []
        for fields, per_week in definitions:
            category = session.scalars(sa.select(Category).where(Category.tenant_id == tenant_id,
                                                                 Category.code == fields["code"])).first()
            if category is None:
                from civic.reporting.service import create_category

                category = create_category(tenant_id=tenant_id, **dict(fields))
            categories.append((category, per_week))
        if session.scalar(sa.select(Report.id).where(Report.tenant_id == tenant_id, Report.source == "demo").limit(1)):
            continue
        rows = synthetic_rows(tenant_id=tenant_id, categories=categories, weeks=16, now=now, rng=rng)
        if slug == "borough-council":  # a sudden rise in fly-tipping by the river this week
            spike = synthetic_rows(tenant_id=tenant_id, categories=[(categories[0][0], 60)], weeks=1,
                                   now=now, rng=rng, centre=(51.449, -2.600), spread=0.002)
            rows += spike
        insert_reports(rows)
    rollup.refresh(now=now, full=True)


def insert_reports(rows: list[dict]) -> None:
    """Bulk insert report rows with their first history entry (no events: this is history, not news)."""
    session.execute(sa.insert(Report), rows)
    session.execute(sa.insert(ReportUpdate), [
        {"id": uuid.uuid4(), "tenant_id": r["tenant_id"], "report_id": r["id"], "from_status": None, "status": "open",
         "public": True, "actor": "demo", "created_at": r["created_at"], "updated_at": r["created_at"]} for r in rows])
    session.flush()
