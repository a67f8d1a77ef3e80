"""The typed context of the RTL back end: per stage, the parameters of ``snn_stage`` and its memory
images (weights, biases, per-neuron v0, position and tap maps), computed from an annotated network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from fpgasnn.errors import BackendError
from fpgasnn.ir.network import Network, Stage
from fpgasnn.ir.nodes import AvgPool2D, Conv2D, Dense, NeuronKind, Output
from fpgasnn.ir.ranges import annotate_widths, signed_bits, weight_shift

KIND_CODE = {NeuronKind.IF: 0, NeuronKind.SIGNED_IF: 1, NeuronKind.CONSISTENT_IF: 2}


def _ubits(n: int) -> int:
    """Width of an unsigned index 0..n (at least 1)."""
    return max(1, int(n).bit_length())


def _pow2_floor(n: int) -> int:
    return 1 << (max(1, int(n)).bit_length() - 1)


def _pow2_ceil(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


@dataclass
class StageCtx:
    name: str
    index: int
    params: dict[str, int | str]
    mems: dict[str, str] = field(default_factory=dict)
    lanes: int = 1
    och: int = 1
    npos: int = 1
    out_channels: int = 1
    ops: int = 1
    is_output: bool = False
    fanout: np.ndarray | None = None
    """Valid synapses per producer (position, channel): number of output neurons one event reaches."""
    pmap_valid: np.ndarray | None = None


@dataclass
class RtlCtx:
    net: Network
    stages: list[StageCtx]
    ctrl: dict[str, int]
    top: str = "snn_top"


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


def _lanes_for(st: Stage, lanes: int | Mapping[str, int] | None) -> int:
    want = 8
    if isinstance(lanes, int):
        want = lanes
    elif isinstance(lanes, Mapping):
        want = int(lanes.get(st.synapse.name, lanes.get(st.activation.name, 8)))
    if want < 1:
        raise BackendError(f"layer {st.synapse.name!r}: lanes must be >= 1, got {want}")
    o = st.synapse.out_channels
    return min(_pow2_floor(want), _pow2_ceil(o))


def _producer_geometry(st: Stage, prev: StageCtx | None) -> tuple[int, int, int]:
    """(channels (padded), H, W) of the tensor whose elements are this stage's input events."""
    shape = st.in_shape
    if prev is not None:
        if len(shape) == 3:
            return prev.och * prev.lanes, shape[1], shape[2]
        return prev.och * prev.lanes, 1, 1
    if len(shape) == 3:
        return shape[0], shape[1], shape[2]
    return 1, 1, shape[0]


def resolve_lanes(net: Network, lanes: int | Mapping[str, int] | str | None,
                  images=None) -> int | Mapping[str, int] | None:
    """``"auto"`` / ``"autoB"`` -> :func:`.lanes.auto_lanes` (budget B, default 128; events counted on
    ``images``, default random ones); others unchanged."""
    if isinstance(lanes, str):
        from fpgasnn.backends.rtl.lanes import auto_budget, auto_lanes

        return auto_lanes(net, images, auto_budget(lanes))
    return lanes


def rtl_lane_map(net: Network, lanes: int | Mapping[str, int] | str | None) -> dict[str, int]:
    """The lanes the Verilog core gives each synapse layer (powers of two, see :func:`_lanes_for`)."""
    lanes = resolve_lanes(net, lanes)
    return {st.synapse.name: _lanes_for(st, lanes) for st in net.stages()}


def build_context(net: Network, lanes: int | Mapping[str, int] | str | None = None) -> RtlCtx:
    lanes = resolve_lanes(net, lanes)
    net = annotate_widths(net)
    sched = net.schedule
    total = sched.total
    nb = max(2, (total + 1).bit_length() + 1)
    stages = net.stages()
    ctxs: list[StageCtx] = []
    for st in stages:
        prev = ctxs[-1] if ctxs else None
        syn, act = st.synapse, st.activation
        name = syn.name
        lane = _lanes_for(st, lanes)
        o = syn.out_channels
        och = -(-o // lane)
        out3 = len(st.out_shape) == 3
        npos = st.out_shape[1] * st.out_shape[2] if out3 else 1
        pc, ph, pw = _producer_geometry(st, prev)
        real_c = st.in_shape[0] if len(st.in_shape) == 3 else (1 if prev is None else st.in_shape[0])
        pool = 1
        for t in st.transforms:
            if isinstance(t, AvgPool2D):
                pool *= t.pool
        hp, wp = ph // pool, pw // pool
        if prev is None and len(st.in_shape) == 1:
            hp, wp = 1, st.in_shape[0]
        in_npos = ph * pw
        # position map: producer position -> (valid, base)
        pvalid = np.zeros(in_npos, dtype=bool)
        pbase = np.zeros(in_npos, dtype=np.int64)
        kt = 1
        if isinstance(syn, Conv2D):
            kh, kw = syn.kernel
            kt = kh * kw
        for p in range(in_npos):
            y, x = divmod(p, pw)
            yp, xp = y // pool, x // pool
            if yp < hp and xp < wp:
                pvalid[p] = True
                pp = yp * wp + xp
                pbase[p] = pp * kt if isinstance(syn, Conv2D) else pp * pc
        wsh = weight_shift(syn.weight)
        w = syn.weight >> wsh  # stored shifted down; the datapath shifts the products back (WSH)
        bias = syn.bias if syn.bias is not None else np.zeros(o, dtype=np.int64)
        wbits = signed_bits(int(w.min(initial=0)), int(w.max(initial=0)))
        bbits = signed_bits(int(bias.min(initial=0)), int(bias.max(initial=0)))
        fan = np.zeros(hp * wp, dtype=np.int64)
        if isinstance(syn, Conv2D):
            kh, kw = syn.kernel
            pt, _, pl, _ = syn.padding
            s = syn.stride
            ho, wo = st.out_shape[1], st.out_shape[2]
            tvalid = np.zeros(hp * wp * kt, dtype=bool)
            tbase = np.zeros(hp * wp * kt, dtype=np.int64)
            for pp in range(hp * wp):
                yp, xp = divmod(pp, wp)
                for i in range(kh):
                    for j in range(kw):
                        oy, ox = yp + pt - i, xp + pl - j
                        if oy < 0 or ox < 0 or oy % s or ox % s:
                            continue
                        oy, ox = oy // s, ox // s
                        if oy < ho and ox < wo:
                            idx = pp * kt + i * kw + j
                            tvalid[idx] = True
                            tbase[idx] = (oy * wo + ox) * och
                            fan[pp] += 1
            fan *= o
            wrom = np.zeros((kt * och * pc, lane), dtype=np.int64)
            wpad = np.zeros((och * lane, pc, kh, kw), dtype=np.int64)
            wpad[:o, :real_c] = w
            for t in range(kt):
                i, j = divmod(t, kw)
                for ocx in range(och):
                    for c in range(pc):
                        wrom[(t * och + ocx) * pc + c] = wpad[ocx * lane:(ocx + 1) * lane, c, i, j]
            tdepth = hp * wp * kt
            tmb = _ubits(int(tbase.max(initial=0)))
            tmap = _mem(((tvalid.astype(np.int64) << tmb) | tbase)[:, None], tmb + 1)
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
                        wrom[ocx * rrows + row] = wpad[ocx * lane:(ocx + 1) * lane, f]
            fan[:] = o
            tdepth = 1
            tmb = 1
            tmap = ""
            kt = 1
        pmb = _ubits(int(pbase.max(initial=0)))
        fanout = np.array([fan[(p // pw // pool) * wp + (p % pw) // pool] if pvalid[p] else 0
                           for p in range(in_npos)], dtype=np.int64)
        is_out = isinstance(act, Output)
        mb = act.acc_bits if is_out else act.membrane_bits
        cb = syn.current_bits or 2
        params: dict[str, int | str] = dict(  # noqa: C408 (keyword form mirrors the Verilog parameter list)
            IS_FIRST=int(prev is None), IS_OUT=int(is_out), IS_DENSE=int(isinstance(syn, Dense)),
            KIND=0 if is_out else KIND_CODE[act.kind], LANES=lane, OCH=och, O=o, NPOS=npos,
            MB=int(mb), CB=int(cb), WB=wbits, WSH=wsh, BB=bbits, NB=nb,
            THETA=0 if is_out else act.theta,
            V0=0 if is_out or act.per_neuron_v0 else int(act.v0),
            V0_PER=int(not is_out and act.per_neuron_v0),
            VALB=(net.input.bits + 1) if prev is None else 2,
            IN_NPOS=in_npos, IN_C=pc, IN_CB=_ubits(pc - 1), IN_POSB=_ubits(in_npos - 1),
            KT=kt, RROWS=rrows, WDEPTH=len(wrom), TDEPTH=tdepth, PMB=pmb, TMB=tmb,
        )
        if prev is not None:
            pq = prev.params
            params.update(QW=_ubits(int(pq["NPOS"]) - 1) + _ubits(int(pq["OCH"]) - 1) + 2 * prev.lanes,
                          QAB=_ubits(int(pq["NPOS"]) * int(pq["OCH"]) - 1),
                          P_LANES=prev.lanes, P_CHB=_ubits(int(pq["OCH"]) - 1))
        else:
            params.update(QW=int(params["IN_POSB"]) + 3, QAB=1, P_LANES=1, P_CHB=1)
        if (not is_out) and (act.theta >= (1 << 31) or abs(params["V0"]) >= (1 << 31)):
            raise BackendError(f"layer {act.name!r}: threshold / v0 must fit 32 bits for the RTL back end")
        if is_out and mb > 32:
            raise BackendError(f"layer {act.name!r}: output accumulator needs {mb} bits; the RTL back end "
                               "sends 32-bit scores")
        mems = {
            f"{name}_w.mem": _mem(wrom, wbits),
            f"{name}_b.mem": _mem(np.concatenate([bias, np.zeros(och * lane - o, dtype=np.int64)])
                                  .reshape(och, lane), bbits),
            f"{name}_pmap.mem": _mem(((pvalid.astype(np.int64) << pmb) | pbase)[:, None], pmb + 1),
        }
        if tmap:
            mems[f"{name}_tmap.mem"] = tmap
        if params["V0_PER"]:
            v0 = np.asarray(act.v0, dtype=np.int64).reshape(o, -1).T  # (npos, o)
            v0p = np.zeros((npos, och * lane), dtype=np.int64)
            v0p[:, :o] = v0
            mems[f"{act.name}_v0.mem"] = _mem(v0p.reshape(npos * och, lane), int(mb))
        params.update(W_FILE=f"{name}_w.mem", B_FILE=f"{name}_b.mem", PMAP_FILE=f"{name}_pmap.mem",
                      TMAP_FILE=f"{name}_tmap.mem", V0_FILE=f"{act.name}_v0.mem")
        ops = och if isinstance(syn, Dense) else kt * och
        ctxs.append(StageCtx(name, st.index, params, mems, lane, och, npos, o, ops, is_out, fanout, pvalid))
    first = ctxs[0]
    out = ctxs[-1]
    inp = net.input
    ctrl = dict(  # noqa: C408
        NSTAGES=len(ctxs), PRESIM=sched.presim, WAKE=sched.wake, SLEEP=sched.sleep, NB=nb,
        IN_W=8 if inp.bits <= 8 else 16, PIX_BITS=inp.bits, PIX_SIGNED=int(inp.signed),
        IN_NPOS=int(first.params["IN_NPOS"]), IN_C=int(first.params["IN_C"]),
        IN_POSB=int(first.params["IN_POSB"]), IN_CB=int(first.params["IN_CB"]),
        NCLS=out.out_channels, OUT_L=out.lanes, OUT_MB=int(out.params["MB"]),
        OUT_QA=_ubits(out.och - 1),
    )
    return RtlCtx(net, ctxs, ctrl)
