"""The Pareto front of a sweep and the best fitting point per board.

The front is taken per board: a point's latency is in microseconds at its board's clock and its LUT
count is in its board's own LUTs (LUT6 on Xilinx parts, LUT4 on ECP5), so points of different boards
are not compared. On one board, point ``a`` dominates ``b`` when it is at least as accurate, at least as
fast and uses at most as many LUTs, and strictly better in one of the three. Points without resources
(synthesis off or failed) are compared on accuracy and latency alone.

The best point of a board is, among its points that fit the board, the most accurate; ties go to the
lower latency, then the fewer LUTs, then the earlier point of the sweep's order.
"""

from __future__ import annotations

from collections.abc import Sequence


def _objectives(r: dict) -> tuple[float, ...]:
    """Smaller is better in every coordinate."""
    obj = (-float(r["snn_top1_pct"]), float(r["latency_us"]))
    return obj if r.get("LUT") is None else (*obj, float(r["LUT"]))


def dominates(a: dict, b: dict) -> bool:
    oa, ob = _objectives(a), _objectives(b)
    if len(oa) != len(ob):
        oa, ob = oa[:2], ob[:2]
    return all(x <= y for x, y in zip(oa, ob, strict=True)) and oa != ob


def pareto_flags(records: Sequence[dict]) -> list[bool]:
    """For each record: on its board's front (failed points never are)."""
    ok = [i for i, r in enumerate(records) if r.get("error") is None]
    flags = [False] * len(records)
    for i in ok:
        flags[i] = not any(
            dominates(records[j], records[i])
            for j in ok
            if j != i and records[j]["board"] == records[i]["board"]
        )
    return flags


def best_per_board(records: Sequence[dict]) -> dict[str, int]:
    """{board: index of its best fitting point} for every board with a fitting point."""
    best: dict[str, int] = {}
    for i, r in enumerate(records):
        if r.get("error") is not None or r.get("fits") is not True:
            continue
        j = best.get(r["board"])
        if j is None or _rank(r) < _rank(records[j]):
            best[r["board"]] = i
    return best


def _rank(r: dict) -> tuple[float, float, float]:
    return (-float(r["snn_top1_pct"]), float(r["latency_us"]), float(r["LUT"]))


__all__ = ["best_per_board", "dominates", "pareto_flags"]
