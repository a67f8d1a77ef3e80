"""Fold the register after an ECP5 block RAM's read port into the block RAM (``REGMODE = OUTREG``).

Yosys maps a synchronous read to a DP16KD port without its output register (``synth_ecp5`` has no
option for it), so the core's "word registered beside its block RAM" stays a fabric flip-flop, and
the block RAM's slow unregistered clock-to-out (about 5.8 ns on speed grade 6) plus the routing to
that flip-flop become a critical path. This pass runs on Yosys's JSON netlist before nextpnr: where
EVERY used data output of a read port drives exactly one flip-flop, and each of those flip-flops is
a plain register on the port's clock (always enabled, no set/reset, reset value 0, like the output
register; in the 36-bit mode of a ROM, the read side's clock: the write side's clock is a
constant, and it gets the read clock, its clock enable staying low), and the registered word does
not go through logic back into the same block RAM (a read-add-write loop: both ends of that path
would then be the block RAM's pins, whose routing is long; place and route measured it), the
flip-flops are removed and the port's output register is switched on, its outputs taking the
flip-flops' nets. The data reaches the same nets in the same cycle, so the design is
cycle-for-cycle the same; only where the register sits changes (as Vivado does with DOA_REG).

Ports that do not qualify are left as they are; the pass says how many it packed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

CONST_BITS = ("0", "1", "x", "z")


@dataclass(frozen=True)
class PackReport:
    ports: int
    """Block RAM read ports whose output register was switched on."""
    registers: int
    """Flip-flops folded into them."""
    skipped: int
    """Read ports with used outputs that did not qualify."""

    def describe(self) -> str:
        return (
            f"{self.registers} flip-flops folded into the output registers of {self.ports} block "
            f"RAM read ports ({self.skipped} ports left unregistered)"
        )


def _sinks(module: dict) -> dict[int, list[tuple[str, str]]]:
    """net bit -> (cell name, input port) of every cell input it drives; module outputs as
    ("", port name)."""
    sinks: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for name, cell in module["cells"].items():
        dirs = cell.get("port_directions", {})
        for port, bits in cell["connections"].items():
            if dirs.get(port, "input") == "output":
                continue
            for b in bits:
                if b not in CONST_BITS:
                    sinks[b].append((name, port))
    for pname, port in module.get("ports", {}).items():
        if port.get("direction") != "input":
            for b in port["bits"]:
                if b not in CONST_BITS:
                    sinks[b].append(("", pname))
    return sinks


def _plain_register(cell: dict, clock: list) -> bool:
    """A TRELLIS_FF that copies D to Q on every rising edge of ``clock``, reset value 0, no set or
    reset."""
    if cell["type"] != "TRELLIS_FF":
        return False
    p, c = cell.get("parameters", {}), cell["connections"]
    return (
        str(p.get("CEMUX", "")).strip() == "1"
        and str(p.get("CLKMUX", "CLK")).strip() == "CLK"
        and str(p.get("REGSET", "RESET")).strip() == "RESET"
        and str(p.get("GSR", "DISABLED")).strip() == "DISABLED"
        and c.get("LSR", ["0"]) == ["0"]
        and c.get("CLK") == clock
    )


def _width(value) -> int:
    text = str(value).strip()
    return int(text, 2) if text and set(text) <= {"0", "1"} and len(text) > 8 else int(text or 0)


def _groups(params: dict) -> list[tuple[str, ...]]:
    """The read-port groups of a DP16KD whose output registers are switched together: in the 36-bit
    (pseudo dual port) mode the read data leaves on both the A and B pins (the one register mode of
    Lattice's PDPW16KD, which nextpnr sets on both sides), otherwise each side is its own port."""
    wide = 36 in (_width(params.get("DATA_WIDTH_A", 18)), _width(params.get("DATA_WIDTH_B", 18)))
    return [("A", "B")] if wide else [("A",), ("B",)]


def _read_clock(conns: dict, sides: tuple[str, ...]) -> list | None:
    """The one clock of the ports ``sides``: their clock when all have the same; in the 36-bit mode
    of a ROM (no writes: the write side's clock is a constant and its clock enable is tied low),
    the read side's clock; None otherwise."""
    clocks = {side: conns.get(f"CLK{side}") for side in sides}
    live = {tuple(c) for c in clocks.values() if c and c[0] not in CONST_BITS}
    if len(live) != 1:
        return None
    for side, c in clocks.items():
        if (not c or c[0] in CONST_BITS) and conns.get(f"CE{side}") != ["0"]:
            return None
    return list(live.pop())


def _foldable(
    cells: dict, sinks: dict, conns: dict, params: dict, sides: tuple[str, ...], clock: list | None
):
    """[(output pin, flip-flop)] when every used output of ``sides`` drives one plain register on
    the ports' ``clock`` (:func:`_read_clock`) and the ports can register (reset tied low, clock not
    inverted); [] when no output is used; None when it does not qualify."""
    used = [
        (pin, conns[pin][0])
        for side in sides
        for pin in (f"DO{side}{i}" for i in range(18))
        if conns.get(pin, ["x"])[0] not in CONST_BITS and sinks.get(conns[pin][0])
    ]
    if not used:
        return []
    if clock is None or any(conns.get(f"RST{side}") != ["0"] for side in sides):
        return None
    for side in sides:
        if (
            str(params.get(f"REGMODE_{side}", "NOREG")).strip() != "NOREG"
            or str(params.get(f"CLK{side}MUX", f"CLK{side}")).strip() != f"CLK{side}"
        ):
            return None
    fold: list[tuple[str, str]] = []
    for pin, b in used:
        s = sinks[b]
        if len(s) != 1 or s[0][1] != "DI" or not s[0][0]:
            return None
        if not _plain_register(cells[s[0][0]], clock):
            return None
        fold.append((pin, s[0][0]))
    return fold


SEQUENTIAL = ("TRELLIS_FF", "DP16KD")


class _Logic:
    """Which nets a net reaches through logic alone (no register between), across hierarchical
    cells (a kept module, e.g. snn_fwd_lane, is looked into: its output counts as reached only
    where logic inside joins it to the input, not where a register does)."""

    def __init__(self, modules: dict) -> None:
        self.modules = modules
        self._sinks: dict[str, dict] = {}
        self._through: dict[tuple[str, str], frozenset[str]] = {}

    def sinks(self, mod: str) -> dict:
        if mod not in self._sinks:
            self._sinks[mod] = _sinks(self.modules[mod])
        return self._sinks[mod]

    def kept(self, mod: str) -> bool:
        """Whether ``mod`` is a module of the design (not a library cell: those are in the
        netlist too, as black or white boxes, and count as logic)."""
        m = self.modules.get(mod)
        if m is None:
            return False
        attrs = m.get("attributes", {})
        return not any(str(attrs.get(a, "0")).strip("0") for a in ("blackbox", "whitebox"))

    def through(self, mod: str, port: str) -> frozenset[str]:
        """Output ports of module ``mod`` that input ``port`` reaches through logic alone."""
        key = (mod, port)
        if key not in self._through:
            self._through[key] = frozenset()  # (a loop of kept modules: no path assumed)
            bits = self.modules[mod]["ports"][port]["bits"]
            start = [b for b in bits if b not in CONST_BITS]
            reached: set[str] = set()
            self.walk(mod, start, lambda name, p: reached.add(p) if name == "" else False)
            self._through[key] = frozenset(reached)
        return self._through[key]

    def walk(self, mod: str, start: list, visit) -> bool:
        """Visit every (cell, input port) the nets ``start`` of module ``mod`` reach through
        logic alone (module outputs as ("", port)); True as soon as ``visit`` returns True."""
        cells, sinks = self.modules[mod]["cells"], self.sinks(mod)
        seen, todo = set(start), list(start)
        while todo:
            for name, port in sinks.get(todo.pop(), ()):
                if visit(name, port):
                    return True
                cell = cells.get(name) if name else None
                if cell is None or cell["type"] in SEQUENTIAL:
                    continue
                dirs = cell.get("port_directions", {})
                outs = (
                    self.through(cell["type"], port)
                    if self.kept(cell["type"])
                    else {q for q, d in dirs.items() if d == "output"}
                )
                for q in outs:
                    for b in cell["connections"].get(q, ()):
                        if b not in CONST_BITS and b not in seen:
                            seen.add(b)
                            todo.append(b)
        return False


def _feeds_back(logic: _Logic, top: str, start: list, ebr: str) -> bool:
    """Whether the nets ``start`` reach an input of cell ``ebr`` through logic alone (no register
    between): a read-modify-write loop through the same block RAM."""
    return logic.walk(top, start, lambda name, _port: name == ebr)


def pack_output_registers(netlist: dict, top: str) -> PackReport:
    """Fold output registers into the DP16KD read ports of module ``top`` in place (module
    docstring)."""
    logic = _Logic(netlist["modules"])
    module = netlist["modules"][top]
    cells = module["cells"]
    sinks = logic.sinks(top)
    ports = regs = skipped = 0
    for name in sorted(cells):
        cell = cells.get(name)
        if cell is None or cell["type"] != "DP16KD":
            continue
        params, conns = cell.setdefault("parameters", {}), cell["connections"]
        for sides in _groups(params):
            clock = _read_clock(conns, sides)
            fold = _foldable(cells, sinks, conns, params, sides, clock)
            if fold is None:
                skipped += 1
                continue
            if not fold:
                continue
            qs = [cells[ff]["connections"]["Q"][0] for _, ff in fold]
            if _feeds_back(logic, top, qs, name):
                # (the word goes through logic back into the same block RAM, e.g. read, add,
                # write: from inside the block RAM both ends of that path would be its pins)
                skipped += 1
                continue
            # (a flip-flop's input net has one driver, so no flip-flop is folded twice)
            for pin, ffname in fold:
                conns[pin] = list(cells[ffname]["connections"]["Q"])
                del cells[ffname]
            for side in sides:
                params[f"REGMODE_{side}"] = "OUTREG"
                # (the register takes every edge, as the flip-flops did; a ROM's idle write side
                # gets the read clock too, so both sides' output registers run on it whichever
                # side's clock the 36-bit mode registers the low half with; its clock enable
                # stays low: it never writes)
                conns[f"OCE{side}"] = ["1"]
                conns[f"CLK{side}"] = list(clock)
            ports += 1
            regs += len(fold)
    return PackReport(ports, regs, skipped)


def pack_output_registers_file(path: str | Path, top: str) -> PackReport:
    """:func:`pack_output_registers` on the JSON netlist file ``path``, rewritten in place."""
    path = Path(path)
    netlist = json.loads(path.read_text())
    report = pack_output_registers(netlist, top)
    if report.registers:
        path.write_text(json.dumps(netlist))
    return report


__all__ = ["PackReport", "pack_output_registers", "pack_output_registers_file"]
