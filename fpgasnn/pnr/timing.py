"""Read nextpnr-ecp5's ``--report`` JSON: post-route utilization, fmax and the critical path.

The report (nextpnr 0.x) holds ``utilization`` (bel type -> {used, available}), ``fmax`` (clock net
-> {achieved, constraint} in MHz) and ``critical_paths`` (one per clock pair: ``from``/``to`` clock
edges and ``path``, a list of segments {type: clk-to-q | routing | logic | setup | source, delay
(ns), from/to {cell, port, loc}, net, sources}). Only clock-to-same-clock paths set fmax; paths to
or from the unconstrained ports (``<async>``) are left out.

Counts: ``LUT4`` = TRELLIS_COMB slots used (logic, carry and distributed-RAM LUTs: each is one LUT4
of a slice), ``FF`` = TRELLIS_FF, ``EBR`` = DP16KD (18 kbit block RAM), ``MULT18`` = MULT18X18D,
``IO`` = TRELLIS_IO.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from fpgasnn.errors import BackendError

BELS = {
    "LUT4": "TRELLIS_COMB",
    "FF": "TRELLIS_FF",
    "EBR": "DP16KD",
    "MULT18": "MULT18X18D",
    "IO": "TRELLIS_IO",
}

# Yosys/nextpnr name a mapped cell after a net it drives, then append the cell type and port
# path (``u_l1.acc_TRELLIS_FF_Q_DI_CCU2C_S0...``, ``u_l1.mem.0.3$DPRAM_COMB2``): cut there.
_SUFFIX = re.compile(
    r"(_(TRELLIS_[A-Z0-9]+|CCU2C|LUT4|PFUMX|L6MUX21|DP16KD|MULT18X18D|ALU54B|DPR16X4)"
    r"(_|$)|\$)"
)


# a block RAM cell that Yosys mapped from a memory: ``MEM.<i>.<j>``, with nextpnr's port name
# appended at a path's end (``u_conv2.g_bank[0].mem.0.3_DIA9``)
_BLOCK_RAM = re.compile(r"^(?P<mem>.+)\.\d+\.\d+(_[A-Z]+\d*)?$")


def signal_name(cell: str) -> str:
    """The design signal a post-synthesis cell name starts with (``u_conv1.wcnt`` for
    ``u_conv1.wcnt_TRELLIS_FF_Q_DI_CCU2C_S0...``); the whole name when it has no such suffix."""
    m = _SUFFIX.search(cell)
    return cell[: m.start()] if m and m.start() > 0 else cell


@dataclass(frozen=True)
class CriticalPath:
    """The worst register-to-register path of a clock: where it starts and ends, its delay split."""

    start: str
    """Signal (register or memory) the path starts at, e.g. ``u_conv1.wcnt``."""
    end: str
    start_cell: str
    end_cell: str
    delay_ns: float
    logic_ns: float
    routing_ns: float
    logic_levels: int
    """Logic segments on the path (a carry chain counts one per CCU2C it passes)."""
    sources: tuple[str, ...]
    """Verilog source locations of the path's nets, in path order, tool library files left out."""

    def describe(self) -> str:
        where = f"; through {', '.join(self.sources[:6])}" if self.sources else ""
        return (
            f"{self.start} -> {self.end}: {self.delay_ns:.2f} ns "
            f"({self.logic_levels} logic levels, {self.logic_ns:.2f} ns logic + "
            f"{self.routing_ns:.2f} ns routing){where}"
        )

    def next_fix(self) -> str:
        """A suggested fix, from the path's ends and its split (a rule of thumb, not a proof): a
        block RAM output through logic, a block RAM output straight into a register, logic ahead of
        a block RAM input, a deep chain of logic, or routing."""
        src, dst = _BLOCK_RAM.match(self.start), _BLOCK_RAM.match(self.end)
        if src and self.logic_levels > 0:
            return (
                f"register {src['mem']}'s word beside its block RAM before any logic (a memory "
                "several block RAMs deep: store it in segments, each registered, then select the "
                "segment, as snn_stage does for the weight ROM)"
            )
        if src:
            return (
                f"{src['mem']}'s block RAM clock-to-out and the routing to {self.end}, no logic: "
                "register the word inside the block RAM (its output register: fpgasnn.pnr."
                "ebr_outreg folds a plain register that follows a read port, except in a "
                "read-add-write loop), or a second register after the read"
            )
        if dst and any(s.startswith("snn_fwd_lane.v") for s in self.sources):
            return (
                f"the membrane read-add-write ends at {dst['mem']}'s write data: build the project "
                "with `fpgasnn build --registered-write` (the sum written from its register a "
                "cycle later, so only routing is ahead of the block RAM)"
            )
        if dst:
            return (
                f"compute {dst['mem']}'s address or write data a stage earlier, into a register "
                "(only routing ahead of the block RAM)"
            )
        if self.logic_levels >= 8:
            return (
                f"{self.logic_levels} logic levels (a carry chain or a wide compare): split the "
                "logic over two register stages"
            )
        if self.routing_ns > self.logic_ns:
            return (
                f"routing is {self.routing_ns:.2f} of {self.delay_ns:.2f} ns: a register stage "
                "halfway along the path (or another seed: placement noise is a few percent)"
            )
        return "move part of the logic a register stage earlier"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sources"] = list(self.sources)
        return d


@dataclass(frozen=True)
class Timing:
    clock: str
    """The clock net nextpnr timed (e.g. ``$glbnet$clk$TRELLIS_IO_IN``)."""
    fmax_mhz: float
    constraint_mhz: float
    critical_path: CriticalPath | None


def utilization(report: Mapping) -> dict[str, dict[str, int]]:
    """{LUT4, FF, EBR, MULT18, IO: {used, available}} from the report's ``utilization``."""
    util = report.get("utilization")
    if not isinstance(util, Mapping):
        raise BackendError(f"nextpnr report has no 'utilization' object (keys: {sorted(report)})")
    out = {}
    for key, bel in BELS.items():
        u = util.get(bel, {"used": 0, "available": 0})
        out[key] = {"used": int(u["used"]), "available": int(u["available"])}
    return out


def _path(segments: list[Mapping]) -> CriticalPath:
    if not segments:
        raise BackendError("nextpnr report has an empty critical path")
    logic = [s for s in segments if s["type"] == "logic"]
    routing = [s for s in segments if s["type"] == "routing"]
    sources: list[str] = []
    for s in routing:
        for src in s.get("sources") or ():
            if not src.startswith("/") and src not in sources:
                sources.append(src)
    start_cell = segments[0]["from"]["cell"]
    end_cell = segments[-1]["to"]["cell"]
    return CriticalPath(
        start=signal_name(start_cell),
        end=signal_name(end_cell),
        start_cell=start_cell,
        end_cell=end_cell,
        delay_ns=round(sum(float(s["delay"]) for s in segments), 3),
        logic_ns=round(sum(float(s["delay"]) for s in segments if s["type"] != "routing"), 3),
        routing_ns=round(sum(float(s["delay"]) for s in routing), 3),
        logic_levels=len(logic),
        sources=tuple(sources),
    )


def _edge_clock(edge: str) -> str:
    return edge.split(" ", 1)[1] if " " in edge else edge


def timing(report: Mapping) -> Timing:
    """The slowest clock's fmax and its register-to-register critical path."""
    fmax = report.get("fmax")
    if not isinstance(fmax, Mapping) or not fmax:
        raise BackendError(
            "nextpnr report has no clock in 'fmax': the design has no clocked path "
            "(is the clock port connected?)"
        )
    clock = min(fmax, key=lambda c: float(fmax[c]["achieved"]))
    crit = None
    for p in report.get("critical_paths") or ():
        if _edge_clock(p["from"]) == clock and _edge_clock(p["to"]) == clock:
            crit = _path(p["path"])
            break
    return Timing(
        clock=clock,
        fmax_mhz=round(float(fmax[clock]["achieved"]), 2),
        constraint_mhz=float(fmax[clock]["constraint"]),
        critical_path=crit,
    )


__all__ = ["BELS", "CriticalPath", "Timing", "signal_name", "timing", "utilization"]
