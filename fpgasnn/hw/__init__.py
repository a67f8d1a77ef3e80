"""The hardware lowering shared by the HLS and Verilog back ends (DESIGN.md section 4).

``lower(net, HwConfig.make(lanes=..., taps=...))`` gives a :class:`HwNetwork` of typed stage records;
the back ends format those records and never re-derive lanes, widths, shifts or identifiers."""

from fpgasnn.hw.config import HwConfig, LanesPolicy
from fpgasnn.hw.lower import lower
from fpgasnn.hw.records import HwInput, HwNetwork, HwStage

__all__ = ["HwConfig", "HwInput", "HwNetwork", "HwStage", "LanesPolicy", "lower"]
