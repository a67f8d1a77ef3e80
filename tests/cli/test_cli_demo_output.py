"""`fpgasnn demo` into a log file: one line per step, no progress-bar redraws, no training bar."""

from __future__ import annotations

import pytest

from fpgasnn import flow
from fpgasnn.cli import main


@pytest.fixture
def fake_flow(monkeypatch):
    calls = {}

    def run_flow(cfg, out, *, progress=False, on_step=None):
        calls["progress"] = progress
        calls["cfg"] = cfg
        data = {
            "model": {"ann_q_top1_pct": 99.0},
            "convert": {"T": 4, "total_steps": 4},
            "golden": {"snn_top1_pct": 98.5},
            "report": {"json": "r.json"},
        }
        records = {}
        for name in flow.STEPS:
            on_step(name, None)
            records[name] = flow.StepResult(name, True, 1.0, f"{name} done", data.get(name, {}))
            on_step(name, records[name])
        return records

    monkeypatch.setattr(flow, "run_flow", run_flow)
    return calls


def test_demo_output_in_a_log_has_no_progress_redraws(fake_flow, tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    assert fake_flow["progress"] is False  # no training progress bar either
    assert "\r" not in out.out and "\r" not in out.err
    lines = out.out.splitlines()
    assert lines[: len(flow.STEPS)] == [f"[{n:7s}] ok      1.0 s  {n} done" for n in flow.STEPS]
    assert lines[len(flow.STEPS) + 1].startswith("fpgasnn demo: 9 steps in ")


@pytest.mark.parametrize(
    ("argv", "sparsity"),
    [
        ([], 0.01),  # the demo's MNIST model: trained with activation sparsity (bench/sparsity.py)
        (["--sparsity", "0.03"], 0.03),
        (["--sparsity", "0"], None),  # the plain reference model
        (["--dataset", "digits"], None),  # not measured there: the plain reference model
    ],
)
def test_demo_reference_model_sparsity(fake_flow, tmp_path, argv, sparsity):
    assert main(["demo", *argv, "-o", str(tmp_path / "out")]) == 0
    spec = fake_flow["cfg"].model_spec
    assert (spec.sparsity if spec is not None else None) == sparsity
    if spec is not None:
        from fpgasnn.keras.train import default_spec

        assert spec == default_spec("mnist", sparsity=sparsity)


def test_demo_lanes_default_fits_the_board(fake_flow, tmp_path):
    """The mnist reference model on pynq-z2 gets the demo's measured lanes; other data sets and
    boards the lanes that fit the board."""
    from fpgasnn.flow import DEMO_LANES

    assert main(["demo", "-o", str(tmp_path / "a")]) == 0
    assert fake_flow["cfg"].lanes == DEMO_LANES["mnist"]
    assert main(["demo", "--dataset", "digits", "-o", str(tmp_path / "b")]) == 0
    assert fake_flow["cfg"].lanes == "fit"
    assert main(["demo", "--board", "zcu104", "-o", str(tmp_path / "d")]) == 0
    assert fake_flow["cfg"].lanes == "fit"
    assert main(["demo", "--lanes", "auto64", "-o", str(tmp_path / "c")]) == 0
    assert fake_flow["cfg"].lanes == "auto64"


@pytest.mark.parametrize(
    ("argv", "bits"), [([], flow.DEMO_RES_TARGET_BITS), (["--res-target-bits", "17"], 17)]
)
def test_demo_res_target_bits_reach_the_flow(fake_flow, tmp_path, argv, bits):
    """The demo converts at plain units unless told otherwise (narrower membranes, same top-1)."""
    assert main(["demo", *argv, "-o", str(tmp_path / "out")]) == 0
    assert fake_flow["cfg"].res_target_bits == bits == (0 if not argv else 17)
