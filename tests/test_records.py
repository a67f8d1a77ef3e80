"""Flat result records (fpgasnn.records) and the shape of every committed benchmark result."""

import json
from pathlib import Path

import numpy as np
import pytest

from fpgasnn.errors import FpgasnnError
from fpgasnn.records import check_flat, flat_record, read_records, write_records

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"

# keys each issue names for its benchmark's records
REQUIRED = {
    "contention.json": {
        "workload",
        "alone_s",
        "side_by_side_s",
        "slowdown_pct",
        "speedup_ceiling",
    },
    "badinput.json": {
        "case",
        "command",
        "exit_code",
        "clear_error",
        "files_intact",
        "seconds_to_error",
    },
    "frontends.json": {
        "model",
        "framework",
        "dataset",
        "T",
        "method",
        "keras_top1_pct",
        "snn_top1_pct",
        "keras_agree_pct",
        "convert_s",
    },
    "golden_speed.json": {"T", "batch", "images_per_s"},
    "estimate.json": {
        "network",
        "lanes",
        "taps",
        "in_fit",
        "LUT",
        "LUT_est",
        "LUT_err_pct",
        "FF",
        "FF_est",
        "BRAM_18K",
        "BRAM_18K_est",
        "DSP",
        "DSP_est",
    },
    "conversion.json": {
        "dataset",
        "method",
        "T",
        "total_steps",
        "snn_top1_pct",
        "ann_q_top1_pct",
        "gap_pp",
        "offbyone_pct",
        "calib_s",
    },
    "csim.json": {"network", "images", "mismatches", "csim_images_per_s"},
    "rtl.json": {
        "network",
        "lanes",
        "taps",
        "images",
        "mismatches",
        "cycles_measured",
        "cycles_model",
        "cycles_lower_bound",
        "interval_cycles_measured",
        "interval_cycles_model",
        "latency_us",
        "images_per_s",
        "clock_mhz",
        "LUT",
        "FF",
        "BRAM_18K",
        "DSP",
    },
    "pnr.json": {
        "network",
        "lanes",
        "board",
        "device",
        "LUT4",
        "FF",
        "EBR",
        "MULT18",
        "fmax_mhz",
        "clock_mhz",
        "cycles",
        "latency_us",
        "bitstream_bytes",
        "pnr_s",
    },
    "resolution.json": {"kind", "dataset", "method", "T", "res_target_bits", "res_bits"},
    "resolution_demo.json": {
        "res_target_bits",
        "snn_top1_pct",
        "float_int_agree_pct",
        "membrane_bits",
        "LUT_estimate",
        "BRAM_18K_estimate",
    },
    "sparsity.json": {
        "sparsity",
        "T",
        "ann_top1_pct",
        "snn_top1_pct",
        "images",
        "spikes_per_image",
        "events_per_image",
        "cycles_model",
        "interval_cycles_model",
        "images_per_s",
    },
    "sweep.json": {
        "points",
        "workers",
        "wall_s",
        "serial_wall_s",
        "speedup",
        "cache_hits",
        "pareto_points",
    },
    "sweep_points.json": {
        "dataset",
        "T",
        "method",
        "lanes",
        "board",
        "res_bits",
        "snn_top1_pct",
        "latency_us",
        "interval_us",
        "LUT",
        "BRAM_18K",
        "DSP",
        "fits",
    },
    "vs_hls4ml.json": {"system", "top1_pct", "LUT", "FF", "BRAM_18K", "DSP", "cycles", "energy_nj"},
}


def test_flatten_rules():
    rec = {
        "a": 1,
        "how": {"top1_pct": "golden"},
        "lanes": [16, 32],
        "x": np.int64(3),
        "layers": [
            {"name": "conv1", "spike_rate": 0.5},
            {"name": "fc", "spike_rate": np.float32(0.25)},
        ],
    }
    assert flat_record(rec) == {
        "a": 1,
        "how.top1_pct": "golden",
        "lanes": "16/32",
        "x": 3,
        "layers.conv1.spike_rate": 0.5,
        "layers.fc.spike_rate": 0.25,
    }


@pytest.mark.parametrize(
    "bad, what",
    [
        ({"layers": [{"spike_rate": 1}]}, "unique 'name' or 'layer'"),
        ({"layers": [{"name": "a"}, {"name": "a"}]}, "unique"),
        ({"mix": [1, {"name": "a"}]}, "mixing"),
        ({"obj": object()}, "cannot store"),
    ],
)
def test_flatten_refuses_what_it_cannot_name(bad, what):
    with pytest.raises(FpgasnnError, match=what):
        flat_record(bad)


def test_check_flat_and_round_trip(tmp_path):
    with pytest.raises(FpgasnnError, match="list of records"):
        check_flat({"records": []})
    with pytest.raises(FpgasnnError, match="not a finite number"):
        check_flat([{"x": float("nan")}])
    p = write_records(tmp_path / "r.json", [{"b": 2, "a": {"c": 1}}])
    assert read_records(p) == [{"a.c": 1, "b": 2}]
    (tmp_path / "bad.json").write_text(json.dumps({"meta": 1}))
    with pytest.raises(FpgasnnError, match="bad.json"):
        read_records(tmp_path / "bad.json")


# frontends.json records of models trained in PyTorch (issue 17) name the framework that ran the model:
# (file, framework) -> (keys it replaces, keys it has instead)
BY_FRAMEWORK = {
    ("frontends.json", "pytorch-onnx"): (
        {"keras_top1_pct", "keras_agree_pct"},
        {"torch_top1_pct", "torch_agree_pct"},
    ),
}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_committed_bench_results_are_flat_lists_with_the_issue_keys(name):
    recs = read_records(RESULTS / name)
    assert recs, f"{name} holds no records"
    for r in recs:
        drop, add = BY_FRAMEWORK.get((name, r.get("framework")), (set(), set()))
        missing = ((REQUIRED[name] - drop) | add) - set(r)
        assert not missing, (
            f"{name}: record {r.get('system', r.get('method', r.get('network')))} lacks {missing}"
        )


def test_every_bench_result_is_checked_here():
    assert {p.name for p in RESULTS.glob("*.json")} <= set(REQUIRED)
