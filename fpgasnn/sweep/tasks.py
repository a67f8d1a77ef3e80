"""The sweep's tasks: pure functions of (model file hash, settings, their inputs' values).

Every task runs through :func:`run_task`, which looks its key up in the disk cache first
(:mod:`fpgasnn.sweep.cache`), returns a failure of any input without running (the error names the task
that failed first), records its own failure instead of raising (one point's failure does not stop the
sweep), and caches a success. What each kind computes (``value``):

- ``convert``  (model bytes; T, method, resolution bits, calibration draw): the integer SNN, as
  ``fpgasnn convert`` makes it (:mod:`fpgasnn.cli.convert_cmd`), base64 of its ``.snn`` bytes;
- ``evaluate`` (convert): golden top-1 on the data set's whole test split; energy per image
  (:mod:`fpgasnn.report.energy`) on the cycle images;
- ``hw``       (convert; lanes, taps, write_register): the hardware lowering (:mod:`fpgasnn.hw`; auto
  lanes count the events of the first 16 training images) and the exact cycle model
  (:mod:`fpgasnn.backends.rtl.cycles`) on the first ``cycle_images`` test images; an ECP5 board's
  points lower the ECP5 build (``write_register``, as ``fpgasnn build --registered-write``), whose
  cycles, synthesis and place and route are its own;
- ``synth``    (convert, hw; target): Yosys resources of the lowered core's Verilog: ``synth_xilinx
  -flatten -noiopad`` for ``xc7`` / ``xcup`` (as ``fpgasnn synth``), ``synth_ecp5`` for ``ecp5``;
  one per (network, lanes, target), shared by every board of the target;
- ``pnr``      (convert, hw; ECP5 board): nextpnr-ecp5 place and route (as ``fpgasnn pnr``);
- ``point``    (the above; board): the point's flat record (:func:`point_record`).
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from fpgasnn.errors import FpgasnnError
from fpgasnn.sweep.cache import read_cached, write_cached
from fpgasnn.sweep.space import RESOURCE_KEYS, BoardInfo

CYCLE_IMAGES = 100
LOWERING_IMAGES = 16


def _net(conv: dict):
    from fpgasnn.ir.serialize import loads

    return loads(base64.b64decode(conv["snn_b64"]), "<sweep network>")


def lowered(conv: dict, hw: dict):
    """The lowered network with the lanes and taps the ``hw`` task resolved (the same machine)."""
    from fpgasnn.hw import HwConfig, lower

    taps = {k: ("all" if v > 1 else 1) for k, v in hw["taps"].items()}
    config = HwConfig.make(dict(hw["lanes"]), taps=taps, write_register=hw["write_register"])
    return lower(_net(conv), config)


def convert_task(s: dict, model: bytes) -> dict:
    """The SNN for (T, method, resolution bits), through the same steps as ``fpgasnn convert``."""
    from fpgasnn.cli import convert_cmd
    from fpgasnn.convert.pipeline import convert
    from fpgasnn.ir.serialize import dumps

    with tempfile.TemporaryDirectory(prefix="fpgasnn_sweep_model_") as tmp:
        path = Path(tmp) / s["model_name"]
        path.write_bytes(model)
        p = argparse.ArgumentParser()
        convert_cmd.add_common(p)
        args = p.parse_args(
            [
                str(path),
                "--dataset",
                s["dataset"],
                "--method",
                s["method"],
                "--res-target-bits",
                str(s["res_bits"]),
                "--calib-images",
                str(s["calib_images"]),
                "--seed",
                str(s["seed"]),
            ]
        )
        src = convert_cmd.open_source(args)
        fnet = convert_cmd.read_floatnet(src, args, s["T"])
        cx, cy = convert_cmd.calibration(src, args)
        t0 = time.perf_counter()
        net = convert(
            fnet,
            s["T"],
            s["method"],
            calib=cx,
            calib_labels=cy,
            weight_bits=args.weight_bits,
            seed=s["seed"],
            res_target_bits=s["res_bits"],
        )
        seconds = time.perf_counter() - t0
        net = net.with_meta(source=s["model_name"], **convert_cmd.data_meta(src, args))
    sch = net.schedule
    return {
        "snn_b64": base64.b64encode(dumps(net)).decode("ascii"),
        "method_used": net.meta["method"],
        "T": sch.wake,
        "total_steps": sch.total,
        "convert_s": round(seconds, 2),
    }


def evaluate_task(s: dict, conv: dict) -> dict:
    from fpgasnn.data import load_dataset
    from fpgasnn.golden import simulate
    from fpgasnn.report.energy import count_ops

    net = _net(conv)
    x, y = load_dataset(s["dataset"], "test")
    if s.get("test_images"):
        x, y = x[: s["test_images"]], y[: s["test_images"]]
    res = simulate(net, x)
    ops = count_ops(net, x[: s["cycle_images"]])
    return {
        "snn_top1_pct": round(100.0 * float(np.mean(res.classes == y)), 4),
        "test_images": len(x),
        "energy_nj": round(ops.energy_nj, 3),
        "sop": round(ops.sop, 2),
        "mac": round(ops.mac, 2),
    }


def hw_task(s: dict, conv: dict) -> dict:
    from fpgasnn.backends.rtl.cycles import estimate
    from fpgasnn.data import load_dataset
    from fpgasnn.hw import HwConfig, lower

    net = _net(conv)
    train = load_dataset(s["dataset"], "train")[0][:LOWERING_IMAGES]
    config = HwConfig.make(s["lanes"], taps=s["taps"], write_register=s["write_register"])
    hw = lower(net, config, train)
    x = load_dataset(s["dataset"], "test")[0][: s["cycle_images"]]
    est = estimate(hw, x)
    return {
        "lanes": dict(hw.lanes),
        "taps": dict(hw.taps),
        "write_register": hw.write_register,
        "latency_cycles": round(float(est.alone.mean()), 2),
        "latency_cycles_worst": int(est.alone.max()),
        "interval_cycles": round(float(est.interval.mean()), 2),
        "latency_lower_bound": round(float(est.lower_bound.mean()), 2),
        "interval_lower_bound": round(float(est.interval_lower_bound.mean()), 2),
        "cycle_images": len(x),
    }


def synth_task(s: dict, conv: dict, hw: dict) -> dict:
    from fpgasnn.backends.plan import write_plan
    from fpgasnn.backends.rtl import rtl_plan
    from fpgasnn.sweep.synthesis import synth_ecp5_dir

    machine = lowered(conv, hw)
    target = s["target"]
    with tempfile.TemporaryDirectory(prefix="fpgasnn_sweep_synth_") as tmp:
        work = Path(tmp) / "rtl"
        write_plan(rtl_plan(machine), work, force=True)
        t0 = time.perf_counter()
        if target == "ecp5":
            counts = synth_ecp5_dir(work, timeout=s["timeout_s"])
            how = "Yosys synth_ecp5 (pre-place-and-route; LUT = LUT4 + 2 x CCU2C, BRAM_18K = DP16KD, DSP = MULT18X18D)"
        else:
            from fpgasnn.backends.rtl.synth import synth_dir

            r = synth_dir(work, target, timeout=s["timeout_s"])
            counts = {k: getattr(r, k) for k in RESOURCE_KEYS}
            how = f"Yosys synth_xilinx -family {target} -flatten -noiopad (pre-place-and-route)"
        seconds = time.perf_counter() - t0
    return {**counts, "how": how, "synth_s": round(seconds, 1)}


def pnr_task(s: dict, conv: dict, hw: dict) -> dict:
    from fpgasnn.backends.rtl import rtl_plan
    from fpgasnn.boards import load_ecp5_board
    from fpgasnn.pnr.flow import place_and_route

    board = load_ecp5_board(s["board"])
    with tempfile.TemporaryDirectory(prefix="fpgasnn_sweep_pnr_") as tmp:
        res = place_and_route(
            rtl_plan(lowered(conv, hw)),
            board,
            Path(tmp) / "pnr",
            clock_mhz=float(board.clock_mhz),
            seed=s["seed"],
            timeout=s["timeout_s"],
        )
    c = res.counts()
    return {
        "LUT": c["LUT4"],
        "FF": c["FF"],
        "BRAM_18K": c["EBR"],
        "DSP": c["MULT18"],
        "fmax_mhz": round(res.fmax_mhz, 2),
        "clock_met": bool(res.met),
        "how": f"nextpnr-ecp5 post-route (seed {s['seed']}; LUT = LUT4, BRAM_18K = EBR, DSP = MULT18)",
        "pnr_s": round(res.synth_s + res.pnr_s + res.pack_s, 1),
    }


def point_record(
    s: dict, conv: dict, ev: dict, hw: dict, res: dict | None, pnr: dict | None = None
) -> dict:
    """The flat record of one point (every value a number, string, boolean or null)."""
    board = BoardInfo.from_dict(s["board_info"])
    mhz, clock_from = float(board.clock_mhz), "board"
    if pnr is not None and pnr["fmax_mhz"] < mhz:
        # a clock is a claim until place and route has met it: a missed one counts at what it reached
        mhz, clock_from = (
            float(pnr["fmax_mhz"]),
            f"nextpnr fmax (board clock {board.clock_mhz:g} MHz missed)",
        )
    rec = {
        **point_axes(s),
        "method_used": conv["method_used"],
        "total_steps": conv["total_steps"],
        "write_register": hw["write_register"],
        "lanes_per_layer": "/".join(f"{k}={v}" for k, v in hw["lanes"].items()),
        "taps_per_layer": "/".join(f"{k}={v}" for k, v in hw["taps"].items()),
        "target": board.target,
        "clock_mhz": mhz,
        "clock_from": clock_from,
        "snn_top1_pct": ev["snn_top1_pct"],
        "test_images": ev["test_images"],
        "latency_cycles": hw["latency_cycles"],
        "interval_cycles": hw["interval_cycles"],
        "latency_us": round(hw["latency_cycles"] / mhz, 4),
        "interval_us": round(hw["interval_cycles"] / mhz, 4),
        "images_per_s": round(mhz * 1e6 / hw["interval_cycles"], 1),
        "energy_nj": ev["energy_nj"],
    }
    used = pnr if pnr is not None else res
    if used is None:
        rec.update({k: None for k in RESOURCE_KEYS})
        rec.update({"resources": "not synthesised", "fits": None})
    else:
        rec.update({k: used[k] for k in RESOURCE_KEYS})
        pct = {k: 100.0 * used[k] / board.resources[k] for k in RESOURCE_KEYS}
        rec.update({f"{k}_pct": round(v, 2) for k, v in pct.items()})
        rec["resources"] = used["how"]
        rec["fits"] = all(v <= 100.0 for v in pct.values())
    rec["fmax_mhz"] = pnr["fmax_mhz"] if pnr is not None else None
    rec["clock_met"] = pnr["clock_met"] if pnr is not None else None
    rec["error"] = None
    return rec


def point_axes(s: dict) -> dict:
    return {k: s[k] for k in ("dataset", "T", "method", "res_bits", "lanes", "board")}


def point_task(s: dict, conv: dict, ev: dict, hw: dict, *rest: dict) -> dict:
    res = rest[0] if rest else None
    pnr = rest[1] if len(rest) > 1 else None
    return point_record(s, conv, ev, hw, res, pnr)


TASKS = {
    "convert": convert_task,
    "evaluate": evaluate_task,
    "hw": hw_task,
    "synth": synth_task,
    "pnr": pnr_task,
    "point": point_task,
}


def _error_text(kind: str, e: BaseException) -> str:
    if isinstance(e, FpgasnnError):
        return f"{kind}: {e}"
    where = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
    at = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
    return f"{kind}: {type(e).__name__}: {e}{at}"


def run_task(
    kind: str, key: str, cache_dir: str | None, settings: dict, data, *inputs: dict
) -> dict:
    """Run one task (module docstring); the result: key, kind, ok, value or error, hit, seconds."""
    t0 = time.perf_counter()
    out = {"key": key, "kind": kind, "hit": False, "value": None, "error": None}
    cached = read_cached(cache_dir, key)
    if cached is not None:
        return {**out, "ok": True, "value": cached, "hit": True, "seconds": 0.0}
    failed = next((i for i in inputs if not i["ok"]), None)
    if failed is not None:
        return {**out, "ok": False, "error": failed["error"], "seconds": 0.0}
    args = [i["value"] for i in inputs]
    try:
        value = TASKS[kind](settings, *([data] if data is not None else []), *args)
        json.dumps(value)  # a value the cache can hold
    except Exception as e:  # noqa: BLE001 -- one point's failure is recorded, the sweep goes on
        return {**out, "ok": False, "error": _error_text(kind, e), "seconds": _since(t0)}
    write_cached(cache_dir, key, value)
    return {**out, "ok": True, "value": value, "seconds": _since(t0)}


def _since(t0: float) -> float:
    return round(time.perf_counter() - t0, 3)


__all__ = ["CYCLE_IMAGES", "TASKS", "point_axes", "point_record", "run_task"]
