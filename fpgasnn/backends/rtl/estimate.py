"""A resource estimate of the Verilog core for Xilinx 7-series and UltraScale parts, in milliseconds
instead of the minutes of a Yosys run: what :mod:`fpgasnn.backends.rtl.fit` searches with.

Memories are counted one by one from the stage parameters, with the rules Yosys ``synth_xilinx``
follows for them (measured on single memories: ``python bench/estimate.py --memories``):

- a RAM (one synchronous read port, one write port) of depth <= 32 takes RAM32M cells (6 bits of
  width each, 4 LUTs per cell); a deeper one RAM64M cells (64 rows x 3 bits, 4 LUTs; beyond 64 rows
  also a read multiplexer and write enables) when it needs fewer than :data:`LUTRAM_PER_BRAM` of
  them per block RAM it would take otherwise, else block RAM;
- a ROM of depth <= 256 becomes logic, one LUT6 per bit of width per 64 rows; deeper ones block RAM;
  either way only the bits that differ between its rows count (Yosys drops the constant ones);
- block RAM in the mode that takes the fewest 18 Kb halves: 512 x 36 (simple dual port), 1024 x 18,
  2048 x 9, 4096 x 4, 8192 x 2, 16384 x 1.

The logic LUTs and flip-flops are a linear model of the datapath widths of each stage (scatter adders,
weight reads, update neurons) fitted to Yosys runs of calibration cores (:data:`LUT_COEF`,
:data:`FF_COEF`; ``python bench/estimate.py --fit`` refits them and prints the error on every core,
the demo SNN included); the ECP5 build's registered write adds :data:`WRITE_REGISTER_COEF` per
scatter bit. DSP: one per lane and parallel tap of the first layer (its pixel x weight
products); no other layer multiplies.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgasnn.backends.rtl.context import RtlCtx, StageCtx

BRAM_MODES = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))
"""(depth, width) of an 18 Kb block RAM half in each mode Yosys picks from."""
LUTRAM_PER_BRAM = 16
"""A RAM deeper than 32 rows takes RAM64M cells when it needs fewer than this many of them per 18 Kb
block RAM it would take otherwise (e.g. 128 x 20: 14 cells, not 1 block RAM; 128 x 24: 16 cells, so
1 block RAM; 128 x 43: 30 cells, not 2 block RAMs)."""
ROM_LOGIC_DEPTH = 256
"""ROMs up to this depth become logic (one LUT6 per bit per 64 rows), deeper ones block RAM."""


@dataclass(frozen=True)
class Memory:
    what: str
    depth: int
    width: int
    rom: bool
    copies: int = 1

    def cost(self) -> tuple[int, int]:
        """(LUTs, 18 Kb block RAMs) of all copies."""
        d, w = self.depth, self.width
        if d <= 0 or w <= 0:
            return 0, 0
        if self.rom and d <= ROM_LOGIC_DEPTH:
            return self.copies * w * -(-d // 64), 0
        if not self.rom and d <= 32:
            return self.copies * 4 * -(-w // 6), 0
        bram = min(-(-w // mw) * -(-d // md) for md, mw in BRAM_MODES)
        rows = -(-d // 64)
        ram64 = rows * -(-w // 3)
        if not self.rom and ram64 < LUTRAM_PER_BRAM * bram:
            # more than 64 rows: a read multiplexer (a LUT per bit per 3 extra row groups) and the
            # write enables of the row groups (2 LUTs each beyond the first)
            select = w * -(-(rows - 1) // 3) + 2 * (rows - 1)
            return self.copies * (4 * ram64 + select), 0
        return 0, self.copies * bram


def _segments(what: str, depth: int, seg_rows: int, width: int, copies: int) -> list[Memory]:
    full, rest = divmod(depth, seg_rows) if depth > seg_rows else (0, depth)
    out = [Memory(what, seg_rows, width, True, copies) for _ in range(full)]
    if rest:
        out.append(Memory(what, rest, width, True, copies))
    return out


def live_bits(text: str | None, width: int) -> int:
    """Bits of a ROM of ``width`` bits whose ``$readmemh`` image is ``text`` that are not the same
    in every row: Yosys drops the constant ones (a ROM of 1,024 x 36 with 18 constant bits takes
    one 1024 x 18 block RAM), so a constant ROM costs nothing. ``text`` None: ``width``."""
    if text is None:
        return width
    rows = [int(r, 16) for r in text.split()]
    if not rows:
        return 0
    mask = (1 << width) - 1
    ones = zeros = mask
    for r in rows:
        ones &= r
        zeros &= ~r
    return width - (ones & mask).bit_count() - (zeros & mask).bit_count()


def stage_memories(st: StageCtx) -> list[Memory]:
    """The memories of one ``snn_stage`` instance as its Verilog declares them (the single-file
    ROMs at the width of their non-constant bits, :func:`live_bits`)."""
    p = {k: int(v) for k, v in st.params.items() if not isinstance(v, str)}

    def rom_width(file_param: str, width: int) -> int:
        return live_bits(st.mems.get(str(st.params.get(file_param))), width)

    lanes, upar, banks = p["LANES"], p["UPAR"], p["BANKS"]
    ul = upar * lanes
    npp = -(-p["NPOS"] // upar)
    nj = npp * p["OCH"]
    nwords = p["NPOS"] * p["OCH"]
    qa = max(1, (nwords - 1).bit_length())
    posb = max(1, (p["NPOS"] - 1).bit_length())
    chb = max(1, (p["OCH"] - 1).bit_length())
    tw = p["CB"] if p["IS_FIRST"] else p["MB"]
    mems = [
        Memory("spike counters", nj, ul * p["NB"], False),
        Memory("biases", p["OCH"], rom_width("B_FILE", lanes * p["BB"]), True),
        Memory("position map", p["IN_NPOS"], rom_width("PMAP_FILE", p["PMB"] + 1), True),
        Memory("targets", p["BWORDS"], lanes * tw, False, banks),
        *_segments("weights", p["WDEPTH"], p["WSEG_ROWS"], lanes * p["WB"], banks),
    ]
    if p["V0_PER"]:
        mems.append(Memory("initial membranes", nj, rom_width("V0_FILE", ul * p["MB"]), True))
    if not p["IS_DENSE"]:
        te = 1 + p["TWB"] + p["TMB"]
        mems += _segments("tap map", p["TDEPTH"], p["TSEG_ROWS"], banks * te, 1)
    if banks > 1:
        ubb = max(1, (banks - 1).bit_length())
        mems.append(
            Memory("update map", npp, rom_width("UMAP_FILE", upar * (ubb + p["TMB"])), True)
        )
    if not p["IS_OUT"]:
        qe = posb + chb + 2 * lanes
        if upar == 1:
            mems.append(Memory("event queue", 2 << qa, qe, False))
        else:
            mems.append(Memory("event queue", 1 << qa, qe, False, 2))
    if p["IS_FIRST"]:
        mems.append(Memory("membranes", nj, ul * p["MB"], False))
    return mems


def stage_features(st: StageCtx) -> dict[str, float]:
    """The datapath widths the logic model is linear in (per stage)."""
    p = {k: int(v) for k, v in st.params.items() if not isinstance(v, str)}
    lanes, par = p["LANES"], p["BANKS"]  # every bank has its lane adders
    ul = p["UPAR"] * lanes
    tw = p["CB"] if p["IS_FIRST"] else p["MB"]
    return {
        "stage": 1.0,
        "scatter_bits": float(lanes * par * tw),
        "weight_bits": float(lanes * par * p["WB"] * (0 if p["IS_FIRST"] else 1)),
        "update_bits": float(ul * (p["MB"] + p["NB"])),
    }


FEATURES = ("stage", "scatter_bits", "weight_bits", "update_bits", "ram_luts", "rom_luts")

LUT_COEF = {
    "stage": 235.161,
    "scatter_bits": 2.109,
    "weight_bits": 1.396,
    "update_bits": 2.557,
    "ram_luts": 1.271,
    "rom_luts": 1.75,
}
"""Logic LUTs per unit of each feature (fitted: see the module docstring; refitted 2026-12-03 with the
demo SNN converted at plain units, at its fc3 128- and 64-lane settings, and ROMs at their
non-constant bits)."""
FF_COEF = {
    "stage": 49.95,
    "scatter_bits": 3.111,
    "weight_bits": 0.355,
    "update_bits": 8.475,
    "ram_luts": 0.0,
    "rom_luts": 0.0,
}
"""Flip-flops per unit of each feature (fitted: see the module docstring)."""
WRITE_REGISTER_COEF = {"LUT": 1.187, "FF": 1.092}
"""LUTs and flip-flops per scatter bit that the registered write of the ECP5 build adds
(``HwConfig.write_register``: every lane adder's sum register and its forwarding over three ops):
fitted on twin cores built both ways (``python bench/estimate.py --only mid --fit``: mid at 4 lanes,
one tap, +330 LUT / +327 FF on 276 scatter bits; at 8 lanes, all taps, +3,390 / +3,115 on 2,856;
the reference MNIST net at 8 lanes, one tap, one-off: +706 / +647 on 584)."""


@dataclass(frozen=True)
class StageEstimate:
    name: str
    LUT: int
    FF: int
    BRAM_18K: int
    DSP: int


@dataclass(frozen=True)
class Estimate:
    """Estimated resources of a core (the sum of its stages; the top's few
    registers are within each stage's constant term)."""

    LUT: int
    FF: int
    BRAM_18K: int
    DSP: int
    stages: tuple[StageEstimate, ...]

    def as_dict(self) -> dict[str, int]:
        return {"LUT": self.LUT, "FF": self.FF, "BRAM_18K": self.BRAM_18K, "DSP": self.DSP}


def stage_model_inputs(st: StageCtx) -> tuple[dict[str, float], int]:
    """(features, block RAMs) of one stage: the model's inputs, the LUTs of its distributed RAMs and
    of its ROMs made of logic among the features."""
    ram = rom = bram = 0
    for m in stage_memories(st):
        lut, b = m.cost()
        if m.rom:
            rom += lut
        else:
            ram += lut
        bram += b
    return stage_features(st) | {"ram_luts": float(ram), "rom_luts": float(rom)}, bram


def stage_estimate(st: StageCtx) -> StageEstimate:
    """The estimated resources of one stage."""
    feats, bram = stage_model_inputs(st)
    lut = sum(LUT_COEF[k] * feats[k] for k in FEATURES)
    ff = sum(FF_COEF[k] * feats[k] for k in FEATURES)
    p = st.params
    if int(p["WREG"]):
        lut += WRITE_REGISTER_COEF["LUT"] * feats["scatter_bits"]
        ff += WRITE_REGISTER_COEF["FF"] * feats["scatter_bits"]
    dsp = int(p["LANES"]) * int(p["BANKS"]) if int(p["IS_FIRST"]) else 0
    return StageEstimate(st.hw.name, round(lut), round(ff), bram, dsp)


def total(stages: tuple[StageEstimate, ...]) -> Estimate:
    """The estimate of a core from its stages'."""
    return Estimate(
        sum(s.LUT for s in stages),
        sum(s.FF for s in stages),
        sum(s.BRAM_18K for s in stages),
        sum(s.DSP for s in stages),
        stages,
    )


def estimate(ctx: RtlCtx) -> Estimate:
    """The estimated LUT, FF, BRAM18 and DSP of the core of ``ctx``."""
    return total(tuple(stage_estimate(st) for st in ctx.stages))


__all__ = [
    "FEATURES",
    "FF_COEF",
    "LUT_COEF",
    "Estimate",
    "Memory",
    "StageEstimate",
    "WRITE_REGISTER_COEF",
    "estimate",
    "stage_estimate",
    "live_bits",
    "stage_memories",
    "total",
]
