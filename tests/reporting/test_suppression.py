"""Open data never leaks a small number: no hidden number (cell or total) can be worked out from what is published.

The exact check (`attack`) is the attacker's best: it knows every published number and what it
adds up (a linear function of the underlying counts), and solves for the hidden ones in exact
rational arithmetic. For each hidden number it also shows two sets of counts, both never negative,
that give exactly the published numbers but differ in that hidden number (one more, one less):
so even knowing that counts are never negative does not pin it down.
"""
import random
from fractions import Fraction

import pytest

from civic.reporting.suppression import apply

FIGURES = {"tables": 0, "hidden": 0, "recovered": 0}  # summed over the random tables, for the report


def _reduce(basis: list[tuple[int, dict]], vector: dict) -> dict:
    """`vector` less its parts along the reduced rows (each row: pivot column, sparse row with pivot 1)."""
    vector = dict(vector)
    for pivot, row in basis:
        factor = vector.get(pivot)
        if factor:
            for column, value in row.items():
                vector[column] = vector.get(column, 0) - factor * value
                if vector[column] == 0:
                    del vector[column]
    return vector


def _rref(rows: list[dict]) -> list[tuple[int, dict]]:
    basis: list[tuple[int, dict]] = []
    for row in rows:
        row = _reduce(basis, {k: Fraction(v) for k, v in row.items()})
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {k: v / scale for k, v in row.items()}
        # keep it fully reduced: clear the new pivot from the earlier rows
        reduced = []
        for p, other in basis:
            factor = other.get(pivot)
            if factor:
                other = dict(other)
                for k, v in row.items():
                    other[k] = other.get(k, 0) - factor * v
                    if other[k] == 0:
                        del other[k]
            reduced.append((p, other))
        basis = reduced + [(pivot, row)]
    return basis


def attack(base: list[int], published: list[tuple[dict, int | None]]) -> dict:
    """Try everything against one publication. `base`: the true underlying counts; `published`: each number
    as (its linear function of the base counts {index: coefficient}, the value published or None if withheld).

    Returns {"hidden": n, "recovered": [functions worked out exactly], "uncertified": [...]}."""
    value = lambda function, counts: sum(c * counts[i] for i, c in function.items())  # noqa: E731
    for function, shown in published:
        assert shown is None or shown == value(function, base), "a published number is wrong"
    known = {next(iter(f)) for f, shown in published if shown is not None and len(f) == 1}
    unknown = [i for i in range(len(base)) if i not in known]
    column = {i: n for n, i in enumerate(unknown)}
    restrict = lambda f: {column[i]: c for i, c in f.items() if i in column}  # noqa: E731
    basis = _rref([restrict(f) for f, shown in published if shown is not None and restrict(f)])
    pivots = {p for p, _ in basis}
    free = [n for n in range(len(unknown)) if n not in pivots]
    # One null-space vector per free unknown: it is 1 there, minus the pivot rows' entries, 0 elsewhere.
    null = []
    for f in free:
        vector = {f: Fraction(1)}
        for p, row in basis:
            if row.get(f):
                vector[p] = -row[f]
        null.append(vector)
    hidden = [f for f, shown in published if shown is None]
    touching: dict[int, list[int]] = {}  # base count -> the published numbers it is part of
    for n, (f, shown) in enumerate(published):
        for i in f:
            touching.setdefault(i, []).append(n)
    recovered, uncertified = [], []
    for function in hidden:
        target = restrict(function)
        if not _reduce(basis, target):
            recovered.append(function)
            continue
        # A certificate: counts that are never negative, publish the same, and move this number by one.
        for vector in null:
            if sum(target.get(k, 0) * v for k, v in vector.items()) == 0:
                continue
            if any(v not in (1, -1) for v in vector.values()):
                continue
            for sign in (1, -1):
                other = list(base)
                for k, v in vector.items():
                    other[unknown[k]] += int(sign * v)
                changed = {n for k in vector for n in touching.get(unknown[k], ())}
                if min(other) < 0 or any(published[n][1] is not None and value(published[n][0], other) !=
                                         published[n][1] for n in changed):
                    break
                if abs(value(function, other) - value(function, base)) != 1:
                    break
            else:
                break
        else:
            uncertified.append(function)
    return {"hidden": len(hidden), "recovered": recovered, "uncertified": uncertified}


def two_way(table: list[list[int]], shown: dict) -> tuple[list[int], list[tuple[dict, int | None]]]:
    """A two-way table and its publication, as base counts and linear functions of them."""
    rows, columns = len(table), len(table[0])
    base = [v for row in table for v in row]
    at = lambda r, c: r * columns + c  # noqa: E731
    published = [({at(r, c): 1}, shown["cells"][r][c]) for r in range(rows) for c in range(columns)]
    published += [({at(r, c): 1 for c in range(columns)}, shown["row_totals"][r]) for r in range(rows)]
    published += [({at(r, c): 1 for r in range(rows)}, shown["column_totals"][c]) for c in range(columns)]
    published.append(({i: 1 for i in range(len(base))}, shown["total"]))
    return base, published


def random_table(rng: random.Random) -> list[list[int]]:
    rows, columns = rng.randint(1, 7), rng.randint(1, 8)
    return [[rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 13, 40]) for _ in range(columns)] for _ in range(rows)]


@pytest.mark.parametrize("seed", range(300))
def test_no_suppressed_value_can_be_recovered_from_the_published_cells_and_totals(seed):
    rng = random.Random(seed)
    table = random_table(rng)
    published = apply(table, threshold=5)
    base, numbers = two_way(table, published)
    for function, shown in numbers:
        true = sum(base[i] for i in function)
        if 0 < true < 5:
            assert shown is None, "a small number was published (a cell or a total)"
    result = attack(base, numbers)
    FIGURES["tables"] += 1
    FIGURES["hidden"] += result["hidden"]
    FIGURES["recovered"] += len(result["recovered"])
    assert result["recovered"] == [], "a withheld number can be worked out from the published ones"
    assert result["uncertified"] == [], "a withheld number is pinned down once counts cannot be negative"


def test_a_lone_small_cell_takes_a_rectangle_with_it_and_large_numbers_stay():
    table = [[3, 20, 30], [40, 50, 60], [70, 80, 90]]
    published = apply(table, threshold=5)
    hidden = sum(v is None for row in published["cells"] for v in row)
    assert published["cells"][0][0] is None and hidden == 4
    assert published["row_totals"] == [53, 150, 240] and published["total"] == 443


def test_a_small_total_is_withheld_and_cannot_be_worked_out():
    table = [[2, 0, 0], [40, 50, 60], [70, 80, 90]]
    published = apply(table, threshold=5)
    assert published["row_totals"][0] is None and published["cells"][0][0] is None
    base, numbers = two_way(table, published)
    assert attack(base, numbers)["recovered"] == []


def test_nothing_small_means_nothing_hidden():
    table = [[0, 5], [6, 7]]
    assert apply(table, threshold=5)["cells"] == table
