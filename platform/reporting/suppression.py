"""Small-number suppression for published tables whose numbers add up to one another.

Primary suppression hides every number (a cell or a total) with 0 < count < threshold.
That alone is not enough: a total minus the published parts gives a lone hidden part back.
Secondary suppression hides more numbers until no hidden one can be worked out from
everything published, in one table or by combining tables.

Why it works. Every published number is an *edge* between the two sums it takes part in
(a cell is a part of its row's sum and of its column's sum; a row total is the whole of its
row's sum and a part of the sum of row totals; ...). Each sum is a *node*: its parts minus
its whole is zero. With the sums chosen so that every number is in exactly two of them,
the possible values of the hidden numbers are the true ones plus any flow around cycles of
hidden edges: adding 1 to the numbers along a cycle and taking 1 away where the cycle meets
a sum the other way keeps every sum the same. So a hidden number is pinned down exactly when
its edge is a *bridge* (on no cycle of hidden edges), and while one is, we hide the cheapest
path of further numbers that closes a cycle through it. Zero is never hidden (it tells no
one anything), so every hidden number is at least 1, and taking 1 away never makes a count
negative: each hidden number could be one more or one less, even to someone who knows that
counts are never negative.
"""
import heapq
import itertools
from collections import defaultdict
from typing import Hashable

Node = Hashable


def bridges(edges: list[tuple[Node, Node]], chosen: set[int]) -> list[int]:
    """The chosen edges on no cycle of chosen edges (iterative Tarjan; parallel edges are a cycle)."""
    graph: dict[Node, list[tuple[Node, int]]] = defaultdict(list)
    for index in sorted(chosen):
        u, v = edges[index]
        graph[u].append((v, index))
        graph[v].append((u, index))
    seen: dict[Node, int] = {}
    low: dict[Node, int] = {}
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
                        found.append(via)
    return found


def _cheapest_cycle(edges, values, adjacency, hidden: set[int], bridge: int) -> list[int] | None:
    """The published non-zero edges to hide so that `bridge` is on a cycle: least hidden value first,
    then fewest numbers (Dijkstra from one end of the bridge to the other, hidden edges free)."""
    start, goal = edges[bridge]
    best = {start: (0, 0)}
    came: dict[Node, tuple[Node, int]] = {}
    queue = [(0, 0, 0, start)]
    tie = itertools.count(1)
    while queue:
        cost, count, _, node = heapq.heappop(queue)
        if node == goal:
            path, at = [], goal
            while at != start:
                at, edge = came[at]
                path.append(edge)
            return [edge for edge in path if edge not in hidden]
        if (cost, count) > best.get(node, (cost, count)):
            continue
        for neighbour, edge in adjacency[node]:
            if edge == bridge:
                continue
            step = (0, 0) if edge in hidden else (values[edge], 1)
            candidate = (cost + step[0], count + step[1])
            if neighbour not in best or candidate < best[neighbour]:
                best[neighbour] = candidate
                came[neighbour] = (node, edge)
                heapq.heappush(queue, (candidate[0], candidate[1], next(tie), neighbour))
    return None


def suppress_graph(edges: list[tuple[Node, Node]], values: list[int], threshold: int) -> set[int]:
    """Which published numbers (edges) to withhold so that none withheld can be worked out."""
    hidden = {i for i, value in enumerate(values) if 0 < value < threshold}
    adjacency: dict[Node, list[tuple[Node, int]]] = defaultdict(list)
    for index, (u, v) in enumerate(edges):
        if values[index] > 0:  # zero is never withheld, so no cycle goes through it
            adjacency[u].append((v, index))
            adjacency[v].append((u, index))
    while True:
        found = bridges(edges, hidden)
        if not found:
            return hidden
        for bridge in found:
            path = _cheapest_cycle(edges, values, adjacency, hidden, bridge)
            if path is None:
                # Cannot happen when every sum is a node (a non-zero count always lies on a cycle of
                # non-zero counts); withhold everything rather than publish something that reveals.
                return {i for i, value in enumerate(values) if value > 0}
            hidden.update(path)


def suppress(table: list[list[int]], threshold: int) -> dict:
    """Which cells and totals of a two-way table to withhold: {"cells": set of (row, col), "row_totals": set,
    "column_totals": set, "total": bool}."""
    rows, columns = len(table), len(table[0]) if table else 0
    edges, values, names = [], [], []

    def edge(u, v, value, name):
        edges.append((u, v))
        values.append(value)
        names.append(name)

    # Nodes: each row's sum, each column's sum, the sum of the column totals ("totals row")
    # and the sum of the row totals ("totals column").
    for r in range(rows):
        for c in range(columns):
            edge(("row", r), ("column", c), table[r][c], ("cell", (r, c)))
        edge(("row", r), "totals column", sum(table[r]), ("row_total", r))
    for c in range(columns):
        edge(("column", c), "totals row", sum(row[c] for row in table), ("column_total", c))
    edge("totals row", "totals column", sum(map(sum, table)), ("total", None))
    result = {"cells": set(), "row_totals": set(), "column_totals": set(), "total": False}
    for index in suppress_graph(edges, values, threshold):
        kind, where = names[index]
        if kind == "cell":
            result["cells"].add(where)
        elif kind == "total":
            result["total"] = True
        else:
            result[kind + "s"].add(where)
    return result


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
