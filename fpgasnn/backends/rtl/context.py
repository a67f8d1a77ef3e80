"""The Verilog back end's view of a lowered network: per stage, the parameters of ``snn_stage`` and its
memory images (weights, biases, per-neuron v0, position and tap maps), formatted from the lowering's
records (:mod:`fpgasnn.hw`); nothing here decides lanes, widths or shifts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fpgasnn.errors import BackendError
from fpgasnn.hw import HwConfig, HwNetwork, HwStage, lower
from fpgasnn.ir.network import Network

WROM_SEGMENT = 1024
"""Rows of a weight-ROM segment (snn_stage's WSEG_ROWS, one block RAM deep in its 18-bit columns):
the files ``NAME_w000.mem``, ``NAME_w001.mem``, ... hold the ROM that many rows each. Not the 512
rows of the 36-bit mode: an ECP5 block RAM in that (pseudo dual-port) mode has a ROM's read
register on a port whose other side has no clock, which the output-register folding of the open
flow (:mod:`fpgasnn.pnr.ebr_outreg`) leaves alone; in 18-bit columns every read register folds."""


def tmap_segment_rows(bits: int) -> int:
    """Rows of a tap-map segment (snn_stage's TSEG_ROWS) for an entry of ``bits``: as deep as one
    block RAM is in 18 or 9-bit columns (1024 or 2048 rows; not the 36-bit mode, see
    :data:`WROM_SEGMENT`), so that no segment needs a depth multiplexer; the files
    ``NAME_t000.mem``, ... hold that many rows each."""
    return 2048 if bits <= 9 else 1024


MAX_SEGMENTS = 999
"""Segment files are numbered with three digits."""


def _segment_files(prefix: str, rows: np.ndarray, bits: int, depth: int, layer: str, what: str):
    """``{prefix}000.mem``, ... : ``rows`` (rows x lanes) in files of ``depth`` rows each."""
    nseg = -(-len(rows) // depth)
    if nseg > MAX_SEGMENTS:
        raise BackendError(
            f"layer {layer!r}: a {what} of {len(rows)} rows ({nseg} segments of {depth}) is beyond "
            f"the core's {MAX_SEGMENTS} segments; give it more lanes or parallel taps"
        )
    return {
        f"{prefix}{i:03d}.mem": _mem(rows[i * depth : (i + 1) * depth], bits) for i in range(nseg)
    }


def _ubits(n: int) -> int:
    """Width of an unsigned index 0..n (at least 1)."""
    return max(1, int(n).bit_length())


@dataclass(frozen=True)
class StageCtx:
    """One ``snn_stage`` instance: its record, the Verilog parameters (formatted from the record, never
    read back by Python logic) and its memory images."""

    hw: HwStage
    params: dict[str, int | str]
    mems: dict[str, str] = field(default_factory=dict)

    @property
    def index(self) -> int:
        return self.hw.index

    @property
    def name(self) -> str:
        return self.hw.ident

    @property
    def lanes(self) -> int:
        return self.hw.lanes

    @property
    def och(self) -> int:
        return self.hw.chunks

    @property
    def npos(self) -> int:
        return self.hw.out_positions

    @property
    def is_output(self) -> bool:
        return self.hw.is_output


@dataclass(frozen=True)
class RtlCtx:
    hw: HwNetwork
    stages: list[StageCtx]
    ctrl: dict[str, int]
    top: str = "snn_top"

    @property
    def net(self) -> Network:
        return self.hw.net


def _mem(words: np.ndarray, bits: int) -> str:
    """$readmemh text: one line per row of ``words`` (rows x lanes), lane 0 in the low bits."""
    mask = (1 << bits) - 1
    ndig = max(1, -(-bits * words.shape[1] // 4))
    lines = []
    for row in words.tolist():
        v = 0
        for lane, x in enumerate(row):
            v |= (int(x) & mask) << (lane * bits)
        lines.append(format(v, f"0{ndig}x"))
    return "\n".join(lines) + "\n"


def _producer(st: HwStage, prev: HwStage | None) -> tuple[int, int, int]:
    """(channels, positions, real channels) of the events this stage receives: the previous stage's
    queue words carry ``chunks * lanes`` (padded) channels per position; a flat image is F positions of
    one channel."""
    if prev is not None:
        return prev.chunks * prev.lanes, st.in_positions, st.in_c
    if st.in_h == st.in_w == 1:
        return 1, st.in_c, 1
    return st.in_c, st.in_positions, st.in_c


def _pooled(st: HwStage, prev: HwStage | None) -> tuple[int, int, int, int]:
    """(producer rows, producer columns, pooled rows, pooled columns) in the producer's position grid."""
    if prev is None and st.in_h == st.in_w == 1:
        return 1, st.in_c, 1, st.in_c
    return st.in_h, st.in_w, st.pooled_h, st.pooled_w


def _stage(hw: HwNetwork, st: HwStage, prev: HwStage | None) -> StageCtx:
    name = st.ident
    lane, och, o = st.lanes, st.chunks, st.out_c
    npos = st.out_positions
    upar = st.update_words
    pc, in_npos, real_c = _producer(st, prev)
    ph, pw, hp, wp = _pooled(st, prev)
    pool = st.pool
    pvalid = np.zeros(in_npos, dtype=bool)
    pbase = np.zeros(in_npos, dtype=np.int64)
    kt = st.kernel_taps
    for p in range(in_npos):
        y, x = divmod(p, pw)
        yp, xp = y // pool, x // pool
        if yp < hp and xp < wp:
            pvalid[p] = True
            pp = yp * wp + xp
            pbase[p] = pp * st.tap_groups if st.op == "conv" else pp * pc
    w = st.weight
    groups, banks = st.tap_groups, st.banks
    if st.op == "conv":
        kh, kw, s = st.kh, st.kw, st.stride
        br, bc = st.bank_grid
        qw = -(-st.out_w // bc)
        bwords = -(-st.out_h // br) * qw * och

        def bank_of(oy: int, ox: int) -> tuple[int, int]:
            """(bank, in-bank word base) of output position (oy, ox)."""
            return st.position_bank(oy, ox), ((oy // br) * qw + ox // bc) * och

        umap = [bank_of(*divmod(p, st.out_w)) for p in range(npos)]
        entries: list[
            list[tuple[int, int, int]]
        ] = []  # (valid, in-bank base, weight base) per bank
        for pp in range(hp * wp):
            yp, xp = divmod(pp, wp)
            for g in range(groups):
                row = [(0, 0, 0)] * banks
                for t in range(kt):
                    if groups > 1 and t != g:
                        continue
                    i, j = divmod(t, kw)
                    oy, ox = yp + st.pad_top - i, xp + st.pad_left - j
                    if oy < 0 or ox < 0 or oy % s or ox % s:
                        continue
                    oy, ox = oy // s, ox // s
                    if oy < st.out_h and ox < st.out_w:
                        b, q = bank_of(oy, ox)
                        if row[b][0]:
                            raise AssertionError(
                                f"{st.name}: two taps in bank {b}"
                            )  # by construction
                        row[b] = (1, q, t * och * pc)
                entries.append(row)
        wrom = np.zeros((kt * och * pc, lane), dtype=np.int64)
        wpad = np.zeros((och * lane, pc, kh, kw), dtype=np.int64)
        wpad[:o, :real_c] = w
        for t in range(kt):
            i, j = divmod(t, kw)
            for ocx in range(och):
                for c in range(pc):
                    wrom[(t * och + ocx) * pc + c] = wpad[ocx * lane : (ocx + 1) * lane, c, i, j]
        tdepth = hp * wp * groups
        tmb = _ubits(bwords - 1)
        twb = _ubits(max(e[2] for row in entries for e in row))
        te = 1 + twb + tmb
        tbits = banks * te
        tmap = np.array(
            [
                [
                    sum(
                        ((v << (twb + tmb)) | (wb << tmb) | q) << (b * te)
                        for b, (v, q, wb) in enumerate(row)
                    )
                ]
                for row in entries
            ],
            dtype=object,
        )
        # the update map: the (bank, in-bank base) of each position, upar positions per row
        ub = _ubits(banks - 1)
        upad = umap + [(0, 0)] * (-len(umap) % upar)
        umap_text = (
            _mem(
                np.array(
                    [
                        [(b << tmb) | q for b, q in upad[r : r + upar]]
                        for r in range(0, len(upad), upar)
                    ],
                    dtype=object,
                ),
                ub + tmb,
            )
            if banks > 1
            else ""
        )
        rrows = 1
    else:
        # dense: row = pp * pc + c ; address = oc * R + row
        rrows = hp * wp * pc
        wrom = np.zeros((och * rrows, lane), dtype=np.int64)
        wpad = np.zeros((och * lane, w.shape[1]), dtype=np.int64)
        wpad[:o] = w
        for pp in range(hp * wp):
            for c in range(real_c):
                f = c * hp * wp + pp
                row = pp * pc + c
                for ocx in range(och):
                    wrom[ocx * rrows + row] = wpad[ocx * lane : (ocx + 1) * lane, f]
        bwords = npos * och
        tdepth, tmb, twb, tmap, umap_text = 1, _ubits(bwords - 1), 1, None, ""
        tbits = 1
    pmb = _ubits(int(pbase.max(initial=0)))
    v0_per = st.per_neuron_v0
    v0 = 0 if (st.is_output or v0_per) else int(st.v0)
    params: dict[str, int | str] = dict(  # noqa: C408 (keyword form mirrors the Verilog parameter list)
        IS_FIRST=int(st.is_first),
        IS_OUT=int(st.is_output),
        IS_DENSE=int(st.op == "dense"),
        KIND=st.kind_code,
        LANES=lane,
        OCH=och,
        O=o,
        NPOS=npos,
        MB=st.membrane_bits,
        CB=st.current_bits,
        WB=st.weight_bits,
        WSH=st.w_shift,
        BB=st.bias_bits,
        NB=hw.counter_bits,
        PRESIM=hw.presim,
        WAKE=hw.wake,
        SLEEP=hw.sleep,
        THETA=st.theta,
        V0=v0,
        V0_PER=int(v0_per),
        VALB=(hw.input.bits + 1) if st.is_first else 2,
        IN_NPOS=in_npos,
        IN_C=pc,
        IN_CB=_ubits(pc - 1),
        IN_POSB=_ubits(in_npos - 1),
        GROUPS=groups,
        BANKS=banks,
        BWORDS=bwords,
        RROWS=rrows,
        WDEPTH=len(wrom),
        WSEG_ROWS=WROM_SEGMENT,
        TDEPTH=tdepth,
        TSEG_ROWS=tmap_segment_rows(tbits),
        UPAR=upar,
        PMB=pmb,
        TMB=tmb,
        TWB=twb,
        WREG=int(hw.write_register),
    )
    if prev is not None:
        params.update(
            QW=_ubits(prev.out_positions - 1) + _ubits(prev.chunks - 1) + 2 * prev.lanes,
            QAB=_ubits(prev.out_positions * prev.chunks - 1),
            P_LANES=prev.lanes,
            P_CHB=_ubits(prev.chunks - 1),
        )
    else:
        params.update(QW=_ubits(in_npos - 1) + 3, QAB=1, P_LANES=1, P_CHB=1)
    mems = _segment_files(f"{name}_w", wrom, st.weight_bits, WROM_SEGMENT, st.name, "weight ROM")
    mems |= {
        f"{name}_b.mem": _mem(
            np.concatenate([st.bias, np.zeros(och * lane - o, dtype=np.int64)]).reshape(och, lane),
            st.bias_bits,
        ),
        f"{name}_pmap.mem": _mem(((pvalid.astype(np.int64) << pmb) | pbase)[:, None], pmb + 1),
    }
    if tmap is not None:
        depth = tmap_segment_rows(tbits)
        mems |= _segment_files(f"{name}_t", tmap, tbits, depth, st.name, "tap map")
    if umap_text:
        mems[f"{name}_umap.mem"] = umap_text
    if v0_per:
        v0a = st.v0.reshape(o, -1).T  # (npos, o)
        # rows j = group * och + chunk, the group's upar positions side by side (position
        # upar * group + s in slot s)
        ngrp = -(-npos // upar)
        v0p = np.zeros((ngrp * upar, och * lane), dtype=np.int64)
        v0p[:npos, :o] = v0a
        v0r = v0p.reshape(ngrp, upar, och, lane).transpose(0, 2, 1, 3).reshape(ngrp * och, -1)
        mems[f"{st.act_ident}_v0.mem"] = _mem(v0r, st.membrane_bits)
    params.update(
        W_FILE=f"{name}_w",
        B_FILE=f"{name}_b.mem",
        PMAP_FILE=f"{name}_pmap.mem",
        TMAP_FILE=f"{name}_t",
        V0_FILE=f"{st.act_ident}_v0.mem",
        UMAP_FILE=f"{name}_umap.mem",
    )
    return StageCtx(st, params, mems)


def stage_context(hw: HwNetwork, index: int) -> StageCtx:
    """The context of one stage of ``hw`` (it depends on that stage and the one before it only)."""
    return _stage(hw, hw.stages[index], hw.stages[index - 1] if index else None)


def build_context(net: HwNetwork | Network, lanes=None) -> RtlCtx:
    """The Verilog context of a lowered network (a Network is lowered first with ``lanes``)."""
    hw = net if isinstance(net, HwNetwork) else lower(net, HwConfig.make(lanes))
    ctxs: list[StageCtx] = []
    for i, st in enumerate(hw.stages):
        prev = hw.stages[i - 1] if i else None
        ctxs.append(_stage(hw, st, prev))
    first, out = ctxs[0], hw.stages[-1]
    inp = hw.input
    ctrl = dict(  # noqa: C408
        NSTAGES=len(ctxs),
        IN_W=8 if inp.bits <= 8 else 16,
        PIX_BITS=inp.bits,
        PIX_SIGNED=int(inp.signed),
        IN_NPOS=int(first.params["IN_NPOS"]),
        IN_C=int(first.params["IN_C"]),
        IN_POSB=int(first.params["IN_POSB"]),
        IN_CB=int(first.params["IN_CB"]),
        NCLS=out.out_c,
        OUT_L=out.lanes,
        OUT_MB=out.membrane_bits,
        OUT_QA=_ubits(out.chunks - 1),
    )
    return RtlCtx(hw, ctxs, ctrl)


__all__ = ["RtlCtx", "StageCtx", "build_context", "stage_context"]
