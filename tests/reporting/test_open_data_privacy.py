"""The place-wide open data cannot identify anyone: no private category, no small number, nothing that
subtracting one published answer from another gives back; and test (sandbox) reports change no public number."""
import datetime as dt
import itertools
import json
import random

import h3
import pytest

from tests.reporting.conftest import HELP, WHERE
from tests.reporting.test_suppression import attack
from civic.core.tenancy import place_wide

DEMAND = "/v1/reporting/open-data/demand"
THRESHOLD = 5
FIGURES = {"tables": 0, "hidden": 0, "recovered": 0}


# --- the place, and every answer the API offers ---------------------------------------
SPOTS = [(WHERE["lat"] + dy, WHERE["long"] + dx) for dy, dx in
         ((0, 0), (0.03, 0.02), (-0.04, 0.05), (0.09, -0.08), (-0.12, -0.15), (0.2, 0.25))]


def seed_place(app, place, rng: random.Random, *, sandbox=False, days=(8, 380)):
    """A year of reports in three public categories and two private ones, some without a location."""
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import service

    plan = [(place.council, "fly-tipping", 160), (place.council, "pothole", 45), (place.council, "graffiti", 18),
            (place.homes, "damp-mould", 30), (place.council, "needs-help", 9)]
    from flask import g

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        g.civic_sandbox = sandbox  # new reports take this world, as a sandbox client's would
        for tenant, code, count in plan:
            for _ in range(count):
                when = utcnow() - dt.timedelta(days=rng.randint(*days), minutes=rng.randint(0, 1400))
                where = rng.choice(SPOTS + [None])
                location = {"address": "1 High Street"} if where is None else {"lat": where[0], "long": where[1]}
                extra = {"answers": {"depth": "deep"}} if code == "pothole" else {}
                service.create_report(tenant_id=tenant.id, category_code=code, created_at=when,
                                      **location, **extra)


def add_categories(place):
    place.category(place.council_rw, {"code": "graffiti", "name": "Graffiti", "group": "Street cleaning"})
    place.category(place.council_rw, HELP)


def refresh(app):
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import rollup

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        rollup.refresh(now=utcnow(), full=True)


def offered_queries(client) -> list[dict]:
    """Every combination of the open-data endpoint's parameters, read from its OpenAPI description."""
    spec = client.get("/openapi.json").json
    parameters = [p for p in spec["paths"][DEMAND]["get"]["parameters"] if p["in"] == "query" and p["name"] != "format"]
    choices = []
    for parameter in parameters:
        schema = parameter.get("schema", {})
        if "enum" in schema:
            values = schema["enum"]
        elif schema.get("type") == "integer" and "minimum" in schema and "maximum" in schema:
            values = list(range(schema["minimum"], schema["maximum"] + 1))
        else:
            values = [None]
        choices.append([(parameter["name"], v) for v in values])
    return [{k: v for k, v in combo if v is not None} for combo in itertools.product(*choices)]


def answers(client) -> list[dict]:
    found = []
    for query in offered_queries(client):
        response = client.get(DEMAND, query_string=query)
        assert response.status_code in (200, 422), (query, response.data[:300])
        if response.status_code == 200:
            found.append(response.json)
    return found


def truth(app) -> dict:
    """{(category name, week, resolution-7 area or "none"): reports}, from the database itself."""
    import sqlalchemy as sa

    from civic.core.db import session
    from civic.reporting.models import Category, Report

    with app.app_context(), place_wide("tests.inspection"):
        rows = session.execute(sa.select(Category.name, Report.week, Report.area, sa.func.count())
                               .join(Category, Report.category_id == Category.id)
                               .where(Report.sandbox.is_(False)).group_by(Category.name, Report.week, Report.area))
        return {(name, week.isoformat(), area or "none"): count for name, week, area, count in rows}


def numbers_of(answer: dict, universe: set) -> list[tuple[frozenset, int | None]]:
    """Every number in one answer, as the set of (category, week, area) counts it adds up."""
    start, end = (dt.date.fromisoformat(answer["period"][k]) for k in ("start", "end"))
    weeks = {a for a in universe if start <= dt.date.fromisoformat(a[1]) <= end}

    def column(heading):
        if answer["columns_are"] == "week":
            return {a for a in weeks if a[1] == heading}
        if heading == "none":
            return {a for a in weeks if a[2] == "none"}
        return {a for a in weeks if a[2] != "none" and h3.cell_to_parent(a[2], answer["resolution"]) == heading}

    columns = [column(h) for h in answer["columns"]]
    numbers, by_column = [], [set() for _ in columns]
    for row in answer["rows"]:
        cells = [frozenset(a for a in c if a[0] == row["category"]) for c in columns]
        numbers += list(zip(cells, row["counts"]))
        numbers.append((frozenset().union(*cells), row["total"]))
        for i, cell in enumerate(cells):
            by_column[i] |= cell
    numbers += list(zip(map(frozenset, by_column), answer["column_totals"]))
    numbers.append((frozenset().union(*by_column), answer["total"]))
    return numbers


def pair_attack(found: list[dict], counts: dict) -> dict:
    """Every published number, and every sum and difference of two, against every withheld number."""
    weeks = {w for answer in found for w in _weeks(answer)}
    areas = {a for (_, _, a) in counts} | {"none"}
    names = {row["category"] for answer in found for row in answer["rows"]}
    universe = {(n, w, a) for n in names for w in weeks for a in areas}
    numbers = [number for answer in found for number in numbers_of(answer, universe)]
    for atoms, shown in numbers:
        true = sum(counts.get(a, 0) for a in atoms)
        assert shown is None or shown == true, "the test reads a published number wrongly"
        assert shown is None or not 0 < shown < THRESHOLD, "a small number was published"
    # A published zero tells the attacker every count in it is zero.
    zero = set().union(*[atoms for atoms, shown in numbers if shown == 0])
    numbers = [(frozenset(atoms - zero), shown) for atoms, shown in numbers]
    rng = random.Random(1)
    weight = {a: rng.getrandbits(64) for a in universe}
    mask = (1 << 64) - 1
    key = lambda atoms: sum(weight[a] for a in atoms) & mask  # noqa: E731
    published = {key(atoms): atoms for atoms, shown in numbers if shown is not None}
    hidden = {atoms for atoms, shown in numbers if shown is None and atoms}
    recovered = set()
    for h in hidden:
        if published.get(key(h)) == h:
            recovered.add(h)
            continue
        for p_key, p in published.items():
            q = published.get((p_key - key(h)) & mask)  # p - q = h
            if q is not None and q <= p and p - q == h:
                recovered.add(h)
                break
            q = published.get((key(h) - p_key) & mask)  # p + q = h
            if q is not None and not p & q and p | q == h:
                recovered.add(h)
                break
    return {"answers": len(found), "published": len(published), "hidden": len(hidden), "recovered": len(recovered)}


def _weeks(answer):
    start, end = (dt.date.fromisoformat(answer["period"][k]) for k in ("start", "end"))
    return [(start + dt.timedelta(weeks=i)).isoformat() for i in range((end - start).days // 7 + 1)]


# --- 1. private categories and small totals ---------------------------------------------
def test_private_categories_never_appear_in_any_open_data(client, app, place):
    add_categories(place)
    seed_place(app, place, random.Random(3))
    refresh(app)
    counts = truth(app)
    for answer in answers(client):
        text = json.dumps(answer).lower()
        assert "damp" not in text and "needs help" not in text and "someone" not in text
        assert {r["category"] for r in answer["rows"]} <= {"Fly-tipping", "Pothole", "Graffiti"}
        in_period = set(_weeks(answer))
        public = sum(n for (name, week, _), n in counts.items()
                     if name in ("Fly-tipping", "Pothole", "Graffiti") and week in in_period)
        assert answer["total"] in (None, public), "the totals count a private category"
    for query in offered_queries(client):
        csv = client.get(DEMAND, query_string={**query, "format": "csv"})
        assert csv.status_code in (200, 422)
        assert "damp" not in csv.text.lower() and "needs help" not in csv.text.lower()


def test_totals_of_one_to_four_are_withheld_like_cells(client, app, place):
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import service

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        for i in range(40):
            service.create_report(tenant_id=place.council.id, category_code="fly-tipping", **WHERE,
                                  created_at=utcnow() - dt.timedelta(days=9 + i % 20))
        for days in (10, 11):
            service.create_report(tenant_id=place.council.id, category_code="pothole", **WHERE,
                                  answers={"depth": "deep"}, created_at=utcnow() - dt.timedelta(days=days))
    refresh(app)
    found = answers(client)
    assert found
    for answer in found:
        potholes = [r for r in answer["rows"] if r["category"] == "Pothole"]
        assert potholes and potholes[0]["total"] is None and 2 not in potholes[0]["counts"]
        assert 1 not in answer["column_totals"] and 2 not in answer["column_totals"]
    pair_attack(found, truth(app))


# --- 2. answers that cannot be differenced ----------------------------------------------
def test_no_pair_of_published_answers_gives_back_a_withheld_number(client, app, place):
    add_categories(place)
    seed_place(app, place, random.Random(11))
    refresh(app)
    found = answers(client)
    result = pair_attack(found, truth(app))
    print("pair attack over the API:", result)
    assert result["hidden"] > 0 and result["recovered"] == 0, result


def test_the_removed_weeks_parameter_is_a_clear_422(client):
    response = client.get(DEMAND, query_string={"weeks": 12})
    assert response.status_code == 422 and "period" in response.json["errors"]["weeks"][0]
    response = client.get(DEMAND, query_string={"columns": "area", "period": "4w"})
    assert response.status_code == 422 and response.json["code"] == "table_not_offered"
    spec = client.get("/openapi.json").json
    period = next(p for p in spec["paths"][DEMAND]["get"]["parameters"] if p["name"] == "period")
    assert period["schema"]["enum"] == ["4w", "13w", "52w"] and "complete week" in period["description"]


def random_place(rng: random.Random):
    """Random counts by category, week and area (resolution 7, or none) over the 52 weeks."""
    rows = [f"category {i}" for i in range(rng.randint(1, 4))]
    last = dt.date(2026, 11, 23)
    weeks = [last - dt.timedelta(weeks=51 - i) for i in range(52)]
    centre = h3.latlng_to_cell(WHERE["lat"], WHERE["long"], 7)
    pool = sorted(h3.grid_disk(centre, 3))
    cells = rng.sample(pool, rng.randint(1, 6)) + [None]
    week_counts, area_counts = {}, {}
    for row in rows:
        busy = rng.choice([0.02, 0.1, 0.5, 2, 6])
        for week in weeks:
            for _ in range(int(rng.expovariate(1 / busy)) if rng.random() < 0.6 else 0):
                cell = rng.choice(cells)
                week_counts[row, week] = week_counts.get((row, week), 0) + 1
                area_counts[row, cell] = area_counts.get((row, cell), 0) + 1
    return rows, weeks, week_counts, area_counts


def published_numbers(rows, weeks, week_counts, area_counts, tables):
    """The base counts (by category and week; by category and area) and every published number as a linear
    function of them, with the one link an attacker knows: a category's weeks and areas add up the same."""
    cells = sorted({c or "none" for (_, c) in area_counts} | {"none"})
    x = {(r, w): i for i, (r, w) in enumerate(itertools.product(rows, weeks))}
    y = {(r, c): len(x) + i for i, (r, c) in enumerate(itertools.product(rows, cells))}
    base = [week_counts.get(k, 0) for k in x] + [area_counts.get((r, None if c == "none" else c), 0) for r, c in y]
    numbers = [({**{x[r, w]: 1 for w in weeks}, **{y[r, c]: -1 for c in cells}}, 0) for r in rows]
    for (kind, size), table in tables.items():
        if kind == "week":
            def part(r, heading):
                return {x[r, dt.date.fromisoformat(heading)]: 1}
        else:
            def part(r, heading, size=size):
                return {y[r, c]: 1 for c in cells if (c == "none") == (heading == "none") and
                        (c == heading or c != "none" and h3.cell_to_parent(c, size) == heading)}
        grand = {}
        for i, r in enumerate(rows):
            whole = {}
            for j, heading in enumerate(table["columns"]):
                f = part(r, heading)
                numbers.append((f, table["cells"][i][j]))
                whole.update(f)
            numbers.append((whole, table["row_totals"][i]))
            grand.update(whole)
        for j, heading in enumerate(table["columns"]):
            numbers.append(({k: 1 for r in rows for k in part(r, heading)}, table["column_totals"][j]))
        numbers.append((grand, table["total"]))
    return base, numbers


@pytest.mark.parametrize("seed", range(300))
def test_no_withheld_number_can_be_worked_out_from_all_the_tables_together(seed):
    from civic.reporting import open_tables

    rng = random.Random(seed)
    rows, weeks, week_counts, area_counts = random_place(rng)
    tables = open_tables.build(rows=rows, weeks=weeks, week_counts=week_counts, area_counts=area_counts,
                               threshold=THRESHOLD)
    assert sorted(tables) == [("area", 5), ("area", 6), ("area", 7), ("week", 4), ("week", 13), ("week", 52)]
    base, numbers = published_numbers(rows, weeks, week_counts, area_counts, tables)
    for function, shown in numbers:
        true = sum(c * base[i] for i, c in function.items())
        assert shown is None or not 0 < true < THRESHOLD, "a small number was published"
    result = attack(base, numbers)
    FIGURES["tables"] += 1
    FIGURES["hidden"] += result["hidden"]
    FIGURES["recovered"] += len(result["recovered"])
    assert result["recovered"] == [], "a withheld number can be worked out from the tables together"
    assert result["uncertified"] == [], "a withheld number is pinned down once counts cannot be negative"


# --- 4. test records stay out -------------------------------------------------------------
def public_numbers(client, place, steward) -> dict:
    """Every number the public, an organisation and the steward see about demand."""
    seen = {}
    for query in offered_queries(client):
        response = client.get(DEMAND, query_string=query)
        assert response.status_code in (200, 422), response.json
        if response.status_code == 200:
            seen[json.dumps(query, sort_keys=True)] = {k: v for k, v in response.json.items() if k != "generated_at"}
    for who, headers in (("council", place.council_rw), ("steward", steward)):
        for by in ("category", "status", "week", "area", "tenant,category,status,week,area"):
            seen[who, "counts", by] = client.get("/v1/reporting/insight/counts", headers=headers,
                                                 query_string={"by": by, "resolution": 7}).json["items"]
        seen[who, "series"] = client.get("/v1/reporting/insight/timeseries", headers=headers).json["items"]
        seen[who, "map"] = client.get("/v1/reporting/insight/map", headers=headers).json
        seen[who, "alerts"] = [{k: a[k] for k in ("category_id", "area", "current", "baseline_mean")}
                               for a in client.get("/v1/reporting/alerts", headers=headers).json["items"]]
    seen["open311"] = sorted(r["service_request_id"] for r in client.get("/open311/v2/requests.json").json)
    return seen


@pytest.mark.parametrize("app_config", [{"REPORTING_OPEN_DATA_CACHE_SECONDS": 0}])
def test_sandbox_reports_change_no_public_number(client, app, place, steward, worker, make, app_config):
    add_categories(place)
    seed_place(app, place, random.Random(5), days=(1, 120))
    worker.drain()
    before = public_numbers(client, place, steward)
    seed_place(app, place, random.Random(6), sandbox=True, days=(0, 120))
    sandbox = make.headers(place.council, "reporting:read", "reporting:write", sandbox=True)
    for _ in range(30):  # a sudden rise, but only of test reports: no early warning
        place.report(headers=sandbox)
    worker.drain()
    refresh(app)
    after = public_numbers(client, place, steward)
    assert after == before



def test_category_names_in_the_public_csv_cannot_run_as_formulas(client, app, place):
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import service

    place.category(place.council_rw, {"code": "formula", "name": "=HYPERLINK(\"http://x\")", "group": "Odd"})
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        for i in range(12):
            service.create_report(tenant_id=place.council.id, category_code="formula", **WHERE,
                                  created_at=utcnow() - dt.timedelta(days=9 + i))
    refresh(app)
    csv = client.get(DEMAND, query_string={"period": "52w", "format": "csv"})
    assert csv.status_code == 200 and csv.content_type.startswith("text/csv")
    assert "'=HYPERLINK" in csv.text and "\n=HYPERLINK" not in csv.text and "\n\"=HYPERLINK" not in csv.text
