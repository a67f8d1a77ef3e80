"""The Pareto front per board and the best fitting point per board (pure functions, no tools)."""

from __future__ import annotations

from fpgasnn.sweep.pareto import best_per_board, dominates, pareto_flags


def rec(board, top1, lat, lut, fits=True, error=None):
    return {
        "board": board,
        "snn_top1_pct": top1,
        "latency_us": lat,
        "LUT": lut,
        "fits": fits,
        "error": error,
    }


def test_front_is_per_board_and_skips_failures():
    recs = [
        rec("a", 90.0, 10.0, 1000),  # 0: front
        rec("a", 89.0, 12.0, 1200),  # 1: dominated by 0 on every axis
        rec("a", 85.0, 5.0, 1500),  # 2: front (fastest)
        rec("a", 85.0, 5.0, 1500),  # 3: equal to 2: neither dominates, both on the front
        rec("b", 80.0, 50.0, 900),  # 4: alone on board b (0 would dominate it, but is on a)
        rec("a", None, None, None, fits=None, error="hw: boom"),  # 5: failed
    ]
    assert dominates(recs[0], recs[1]) and not dominates(recs[1], recs[0])
    assert not dominates(recs[2], recs[3]) and not dominates(recs[3], recs[2])
    assert pareto_flags(recs) == [True, False, True, True, True, False]


def test_points_without_resources_compare_on_accuracy_and_latency():
    recs = [rec("a", 90.0, 10.0, None, fits=None), rec("a", 90.0, 11.0, None, fits=None)]
    assert pareto_flags(recs) == [True, False]
    assert best_per_board(recs) == {}  # no resources: nothing is known to fit


def test_best_is_the_most_accurate_fitting_point_then_fastest_then_smallest():
    recs = [
        rec("a", 95.0, 1.0, 10, fits=False),  # does not fit
        rec("a", 90.0, 10.0, 1000),
        rec("a", 90.0, 8.0, 2000),  # as accurate, faster: chosen
        rec("a", 90.0, 8.0, 2500),  # as accurate and fast, bigger
        rec("b", 70.0, 8.0, 2500),
        rec("c", 99.0, 8.0, 2500, error="synth: boom"),
    ]
    assert best_per_board(recs) == {"a": 2, "b": 4}
