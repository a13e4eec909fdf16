"""Open data never leaks a small number: no hidden cell can be worked out from what is published."""
import random
from fractions import Fraction

import pytest

from civic.reporting.suppression import apply


def rank(rows: list[list[Fraction]]) -> int:
    rows = [r[:] for r in rows]
    rank_, columns = 0, len(rows[0]) if rows else 0
    for col in range(columns):
        pivot = next((i for i in range(rank_, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank_], rows[pivot] = rows[pivot], rows[rank_]
        for i in range(len(rows)):
            if i != rank_ and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank_][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank_])]
        rank_ += 1
    return rank_


def recoverable(published: dict) -> list[tuple[int, int]]:
    """Hidden cells an attacker can compute exactly by subtracting published cells from published totals."""
    cells = published["cells"]
    unknowns = [(r, c) for r, row in enumerate(cells) for c, v in enumerate(row) if v is None]
    if not unknowns:
        return []
    index = {cell: i for i, cell in enumerate(unknowns)}
    equations = []
    for r, total in enumerate(published["row_totals"]):
        if total is not None:
            equations.append([Fraction(int(u[0] == r)) for u in unknowns])
    for c, total in enumerate(published["column_totals"]):
        if total is not None:
            equations.append([Fraction(int(u[1] == c)) for u in unknowns])
    if published["total"] is not None:
        equations.append([Fraction(1)] * len(unknowns))
    if not equations:
        return []
    base = rank(equations)
    found = []
    for cell, i in index.items():
        unit = [Fraction(int(j == i)) for j in range(len(unknowns))]
        if rank(equations + [unit]) == base:
            found.append(cell)
    return found


def random_table(rng: random.Random) -> list[list[int]]:
    rows, columns = rng.randint(1, 7), rng.randint(1, 8)
    return [[rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 40]) for _ in range(columns)] for _ in range(rows)]


@pytest.mark.parametrize("seed", range(300))
def test_no_suppressed_value_can_be_recovered_from_published_totals(seed):
    rng = random.Random(seed)
    table = random_table(rng)
    published = apply(table, threshold=5)
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            if 0 < value < 5:
                assert published["cells"][r][c] is None, "a small number was published"
            if published["cells"][r][c] is not None:
                assert published["cells"][r][c] == value
    assert recoverable(published) == []


def test_a_lone_small_cell_takes_a_rectangle_with_it_and_large_numbers_stay():
    table = [[3, 20, 30], [40, 50, 60], [70, 80, 90]]
    published = apply(table, threshold=5)
    hidden = sum(v is None for row in published["cells"] for v in row)
    assert published["cells"][0][0] is None and hidden == 4
    assert published["row_totals"] == [53, 150, 240] and published["total"] == 443


def test_nothing_small_means_nothing_hidden():
    table = [[0, 5], [6, 7]]
    assert apply(table, threshold=5)["cells"] == table
