"""Small-number suppression for a published two-way table with row and column totals.

Primary suppression hides every cell with 0 < count < threshold. That alone is not
enough: a row total minus the row's published cells gives a lone hidden cell back.
Secondary suppression hides more cells until no hidden cell can be worked out from
the published totals.

Why it works: look at the hidden cells as edges of a graph between rows and columns.
The published totals pin down a hidden cell exactly when its edge is a *bridge* (on no
cycle): around a cycle, adding x to one cell and taking x from the next keeps every
total the same, so no cell on a cycle can be recovered. So while a hidden cell is a
bridge, we also hide the cheapest rectangle of cells that puts it on a cycle. A table
with one row or one column has no rectangles; there the totals are withheld instead.
"""
import itertools


def _bridges(edges: set[tuple[int, int]], rows: int) -> list[tuple[int, int]]:
    """Edges (row, column) on no cycle; columns are numbered after the rows (iterative Tarjan)."""
    graph: dict[int, list[tuple[int, int]]] = {}
    for index, (r, c) in enumerate(sorted(edges)):
        graph.setdefault(r, []).append((rows + c, index))
        graph.setdefault(rows + c, []).append((r, index))
    ordered = sorted(edges)
    seen: dict[int, int] = {}
    low: dict[int, int] = {}
    found, counter = [], itertools.count()
    for root in graph:
        if root in seen:
            continue
        seen[root] = low[root] = next(counter)
        stack = [(root, -1, iter(graph[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for neighbour, edge in neighbours:
                if edge == via:
                    continue
                if neighbour in seen:
                    low[node] = min(low[node], seen[neighbour])
                else:
                    seen[neighbour] = low[neighbour] = next(counter)
                    stack.append((neighbour, edge, iter(graph[neighbour])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > seen[parent]:
                        found.append(ordered[via])
    return found


def suppress(table: list[list[int]], threshold: int) -> dict:
    """Which cells and totals to withhold: {"cells": set of (row, col), "row_totals": set, "column_totals": set,
    "total": bool}."""
    rows, columns = len(table), len(table[0]) if table else 0
    hidden = {(r, c) for r in range(rows) for c in range(columns) if 0 < table[r][c] < threshold}
    result = {"cells": hidden, "row_totals": set(), "column_totals": set(), "total": False}
    if not hidden:
        return result
    if rows < 2 or columns < 2:
        # Every total is a sum of a single line of cells: withhold them all.
        result.update(row_totals=set(range(rows)), column_totals=set(range(columns)), total=True)
        return result
    while True:
        bridges = _bridges(hidden, rows)
        if not bridges:
            return result
        for r, c in bridges:
            hidden.update(_cheapest_rectangle(table, hidden, r, c))


def _cheapest_rectangle(table: list[list[int]], hidden: set, r: int, c: int) -> list[tuple[int, int]]:
    """The cells to hide so that (r, c) and three others form a rectangle: least hidden value first,
    then fewest new cells."""
    def cost(x: int, y: int) -> tuple[int, int]:
        return (0, 0) if (x, y) in hidden else (table[x][y], 1)

    in_row = {y: cost(r, y) for y in range(len(table[0])) if y != c}
    in_column = {x: cost(x, c) for x in range(len(table)) if x != r}
    best, best_cost = None, None
    for x, (column_value, column_cells) in in_column.items():
        row_of_table = table[x]
        for y, (row_value, row_cells) in in_row.items():
            corner = (0, 0) if (x, y) in hidden else (row_of_table[y], 1)
            total = (column_value + row_value + corner[0], column_cells + row_cells + corner[1])
            if best_cost is None or total < best_cost:
                best, best_cost = (x, y), total
    x, y = best
    return [cell for cell in ((r, y), (x, c), (x, y)) if cell not in hidden]


def apply(table: list[list[int]], threshold: int) -> dict:
    """The table as published: hidden cells and totals become None."""
    hidden = suppress(table, threshold)
    columns = len(table[0]) if table else 0
    return {
        "cells": [[None if (r, c) in hidden["cells"] else value for c, value in enumerate(row)]
                  for r, row in enumerate(table)],
        "row_totals": [None if r in hidden["row_totals"] else sum(row) for r, row in enumerate(table)],
        "column_totals": [None if c in hidden["column_totals"] else sum(row[c] for row in table)
                          for c in range(columns)],
        "total": None if hidden["total"] else sum(map(sum, table)),
        "suppressed": len(hidden["cells"]),
    }
