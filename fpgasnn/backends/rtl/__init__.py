"""The Verilog back end: a hand-written parameterised library (``verilog/``), a generated top level,
an exact cycle model (:mod:`.cycles`), Verilator simulation (:mod:`.sim`) and Yosys synthesis
(:mod:`.synth`)."""

from __future__ import annotations

from fpgasnn.backends.rtl.emit import rtl_plan

__all__ = ["rtl_plan"]
