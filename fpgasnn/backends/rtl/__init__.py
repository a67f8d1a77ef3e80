"""The Verilog back end: formats the hardware lowering's records (:mod:`fpgasnn.hw`) into a
hand-written library (``verilog/snn_stage.v`` with ``snn_seg_rom.v`` and ``snn_fwd_lane.v``,
``verilog/snn_ctrl.v``) and a generated top level.

Architecture (event-driven, layers pipelined across time steps):

- RX: pixels arrive on ``s_axis`` in C, H, W order; the first stage scatters every nonzero pixel
  (``W[:, c, taps] * pixel`` into a per-image current memory, LANES output channels per cycle; the only
  multipliers of the core). Zero pixels cost one cycle.
- Every stage sequences itself, step after step: the scatter of the spike events its producer queued
  for the step (``+-W`` columns added into the membranes, LANES channels per cycle; average pooling and
  flattening are address maps), then an update pass (LANES neurons per cycle: bias, fire, reset by
  subtraction, counters; the COS presim shift and the reset for the next image are folded into the last
  presim / last step) that queues the words with spikes. A scatter of step j waits for the producer's
  update of step j; an update of step j waits until the consumer has scattered step j - 2 (spike queues
  are double-buffered), so layer l + 1 works on step t while layer l works on step t + 1, and a new
  image enters as soon as the first stage has finished the previous one.
- Tap-parallel convolutions: with ``taps="all"`` the membranes (currents, for the first layer) are
  banked by output position (bank ``(oy mod R, ox mod C)``, ``(R, C) = ceil(k / stride)``), so every
  kernel tap of one input event updates a different bank in the same cycle.
- TX: scores, then the class (first maximum) on ``m_axis``; accumulators are cleared as they are sent.

Python side: :func:`rtl_plan` (files, deterministic), :mod:`.cycles` (exact cycle model of latency and
interval, lower bounds), :mod:`.sim` (Verilator through cocotb's runner), :mod:`.check` (golden + cycle
comparisons), :mod:`.synth` (Yosys synth_xilinx resources).
"""

from __future__ import annotations

from fpgasnn.backends.rtl.emit import rtl_plan

__all__ = ["rtl_plan"]
