"""The Verilog back end.

Architecture (event-driven, layer-sequential per time step; ``verilog/snn_stage.v``, ``verilog/snn_ctrl.v``):

- RX: pixels arrive on ``s_axis`` in C, H, W order; the first stage scatters every nonzero pixel
  (``W[:, c, tap] * pixel`` into a per-image current RAM, LANES output channels per cycle; the only
  multipliers of the core). Zero pixels cost one cycle.
- Per time step (presim, wake, sleep) and per stage: the stage scatters the spike events its producer
  queued in the same step (``+-W`` columns added into the membranes, LANES per cycle; average pooling
  and flattening are address maps, so a spike is added where its pooled window lands), then an update
  pass (LANES neurons per cycle: bias, fire, reset by subtraction, counters; the COS presim shift and the
  reset for the next image are folded into the last presim / last step) queues the words with spikes.
- TX: scores, then the class (first maximum) on ``m_axis``; accumulators are cleared as they are sent.

Python side: :func:`rtl_plan` (files, deterministic), :mod:`.cycles` (exact cycle model, lower bound),
:mod:`.sim` (Verilator through cocotb's runner), :mod:`.check` (golden + cycle comparisons),
:mod:`.synth` (Yosys synth_xilinx resources).
"""

from __future__ import annotations

from fpgasnn.backends.rtl.emit import rtl_plan

__all__ = ["rtl_plan"]
