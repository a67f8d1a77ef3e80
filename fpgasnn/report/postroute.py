"""The report's post-route section: the results ``fpgasnn pnr`` saved in
``PROJECT/pnr/BOARD/pnr.json``.

The report does not place and route (minutes per core); it reads what ``fpgasnn pnr`` left, checks
that each result was placed from the project's present ``rtl/`` (a digest of its files), and turns
the cycle model's latency into microseconds at the ACHIEVED post-route fmax. A result from an older
``rtl/`` is listed as stale, without latency.
"""

from __future__ import annotations

from pathlib import Path

from fpgasnn.pnr.project import project_results

KEYS = ("LUT4", "FF", "EBR", "MULT18")


def post_route_section(project_dir: str | Path, rep: dict) -> dict | None:
    """{runs: [...], how} for the report, or None where ``fpgasnn pnr`` never ran on the project."""
    results = project_results(project_dir)
    if not results:
        return None
    lat = rep.get("latency") or {}
    cycles, interval = lat.get("cycles_mean"), lat.get("IntervalMin")
    runs = []
    for res, current in results:
        util = res.utilization
        run = {
            "board": res.board,
            "part": res.part,
            "seed": res.seed,
            "clock_mhz": res.clock_mhz,
            "fmax_mhz": res.fmax_mhz,
            "met": res.met,
            "current": current,
            "check": res.check(),
            **{k: util[k]["used"] for k in KEYS},
            "pct": {k: 100.0 * util[k]["used"] / max(util[k]["available"], 1) for k in KEYS},
            "critical_path": res.critical_path.describe() if res.critical_path else None,
            "bitstream": f"pnr/{res.board}/{res.bitstream}",
            "bitstream_bytes": res.bitstream_bytes,
        }
        if current and cycles:
            run["latency_us_mean"] = float(cycles) / res.fmax_mhz
            if interval:
                run["images_per_s"] = res.fmax_mhz * 1e6 / float(interval)
        runs.append(run)
    return {
        "runs": runs,
        "how": (
            "`fpgasnn pnr`: Yosys synth_ecp5, nextpnr-ecp5 (seeded) and ecppack on the project's "
            "rtl/, read from PROJECT/pnr/BOARD/pnr.json; utilization is post-route (LUT4 = logic, "
            "carry and RAM LUT4 slots); latency_us_mean = the cycle model's mean cycles / the "
            "ACHIEVED post-route fmax on that ECP5 part (not the board clock); a result placed "
            "from an older rtl/ is marked stale and gets no latency"
        ),
    }


def post_route_lines(sec: dict) -> list[str]:
    lines = []
    for r in sec.get("runs", []):
        if not r["current"]:
            lines.append(
                f"post-route: {r['board']} ({r['part']}): STALE (rtl/ changed since this run; "
                f"rerun `fpgasnn pnr --board {r['board']}`)"
            )
            continue
        cells = ", ".join(f"{k} {r[k]:,} ({r['pct'][k]:.1f} %)" for k in KEYS)
        lat = (
            f"; latency {r['latency_us_mean']:.2f} us mean at the achieved {r['fmax_mhz']:.1f} MHz"
            if "latency_us_mean" in r
            else ""
        )
        lines.append(f"post-route: {r['board']}: {r['check']}{lat}; {cells}")
        if r["met"] and r["critical_path"]:
            lines.append(f"            critical path {r['critical_path']}")
    return lines


__all__ = ["post_route_lines", "post_route_section"]
