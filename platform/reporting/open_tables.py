"""The fixed open-data tables, with small numbers withheld across all of them at once.

What is published (and nothing else): for the last 4, 13 and 52 complete weeks, each public
category's reports by week; for the last 52 weeks, by map area at H3 resolutions 5, 6 and 7
(and a `none` column for reports without a location, so every table's row totals agree).
Every table has row totals, column totals and a grand total.

All the numbers of all the tables go into one graph of sums (see `suppression`), so a
withheld number cannot be worked out from one table, from two tables subtracted (the 13
weeks less the 4 weeks), or from any other combination:
- a week's cells are parts of their week's sum and of their category's sum over the block of
  weeks that belongs to the shortest period holding it (the last 4; the 9 before; the 39 before);
- a category's 4-week total is the whole of its first block's sum and a part of the next
  block's sum, whose whole is its 13-week total, and so on; the 52-week total is the whole of
  the category's sum over its resolution-5 areas;
- an area's cell is the whole of the sum of its children's cells (resolution 7 to 6 to 5),
  and the same for column totals; the grand totals chain as the category totals do.
"""
import datetime as dt
from collections import defaultdict

import h3

from civic.reporting.suppression import suppress_graph

PERIODS = (4, 13, 52)
RESOLUTIONS = (5, 6, 7)  # the weekly counts keep areas at resolution 7
NONE = "none"


def _parent(cell: str, resolution: int) -> str:
    return NONE if cell == NONE else h3.cell_to_parent(cell, resolution)


class _Numbers:
    """Published numbers, each once however many tables show it, as edges between two sums."""

    def __init__(self):
        self.edges, self.values, self.index = [], [], {}

    def add(self, name, u, v, value: int) -> None:
        self.index[name] = len(self.edges)
        self.edges.append((u, v))
        self.values.append(value)


def build(*, rows: list, weeks: list[dt.date], week_counts: dict, area_counts: dict, threshold: int) -> dict:
    """Every table, suppressed jointly. `weeks`: the last 52 complete weeks, oldest first; `week_counts`:
    {(row, week): n}; `area_counts`: {(row, resolution-7 cell or "none"): n} over the same 52 weeks."""
    assert len(weeks) == PERIODS[-1]
    n = _Numbers()
    block = {w: next(p for p in PERIODS if i >= len(weeks) - p) for i, w in enumerate(weeks)}
    longest = PERIODS[-1]
    following = dict(zip(PERIODS, PERIODS[1:]))
    x = {(r, w): week_counts.get((r, w), 0) for r in rows for w in weeks}
    for (r, w), value in x.items():
        n.add(("cell", r, w), ("row", block[w], r), ("week", w), value)
    for w in weeks:
        n.add(("week total", w), ("week", w), ("totals", block[w]), sum(x[r, w] for r in rows))
    row_total = {(p, r): sum(x[r, w] for w in weeks[-p:]) for p in PERIODS for r in rows}
    for p in PERIODS:
        for r in rows:
            end = ("row", following[p], r) if p in following else ("areas", r)
            n.add(("row total", p, r), ("row", p, r), end, row_total[p, r])
        end = ("totals", following[p]) if p in following else "area totals"
        n.add(("total", p), ("totals", p), end, sum(row_total[p, r] for r in rows))
    cells = sorted({cell or NONE for (_, cell) in area_counts} | {NONE})
    areas = {k: sorted({_parent(c, k) for c in cells}) for k in RESOLUTIONS}
    y = {RESOLUTIONS[-1]: {(r, c): area_counts.get((r, None if c == NONE else c), 0) for r in rows for c in cells}}
    for finer, coarser in zip(RESOLUTIONS[::-1], RESOLUTIONS[-2::-1]):
        y[coarser] = defaultdict(int)
        for (r, c), value in y[finer].items():
            y[coarser][r, _parent(c, coarser)] += value
    for k in RESOLUTIONS:
        up = RESOLUTIONS.index(k) - 1
        for r in rows:
            for a in areas[k]:
                # The cell is a part of its parent's sum (or of the row's sum), and the whole of its children's.
                parent = ("part", RESOLUTIONS[up], r, _parent(a, RESOLUTIONS[up])) if up >= 0 else ("areas", r)
                below = ("part", k, r, a) if k != RESOLUTIONS[-1] else ("area", a)
                n.add(("area cell", k, r, a), below, parent, y[k][r, a])
        for a in areas[k]:
            total = sum(y[k][r, a] for r in rows)
            parent = ("area part", RESOLUTIONS[up], _parent(a, RESOLUTIONS[up])) if up >= 0 else "area totals"
            below = ("area part", k, a) if k != RESOLUTIONS[-1] else ("area", a)
            n.add(("area total", k, a), below, parent, total)
    hidden = suppress_graph(n.edges, n.values, threshold)
    shown = lambda name: None if n.index[name] in hidden else n.values[n.index[name]]  # noqa: E731
    tables = {}
    for p in PERIODS:
        columns = weeks[-p:]
        tables["week", p] = _table([w.isoformat() for w in columns],
                                   [[shown(("cell", r, w)) for w in columns] for r in rows],
                                   [shown(("row total", p, r)) for r in rows],
                                   [shown(("week total", w)) for w in columns], shown(("total", p)), p)
    for k in RESOLUTIONS:
        tables["area", k] = _table(areas[k], [[shown(("area cell", k, r, a)) for a in areas[k]] for r in rows],
                                   [shown(("row total", longest, r)) for r in rows],
                                   [shown(("area total", k, a)) for a in areas[k]], shown(("total", longest)),
                                   longest)
    return tables


def _table(columns, cells, row_totals, column_totals, total, weeks) -> dict:
    return {"columns": columns, "cells": cells, "row_totals": row_totals, "column_totals": column_totals,
            "total": total, "weeks": weeks, "suppressed": sum(v is None for row in cells for v in row)}
