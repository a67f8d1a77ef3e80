"""The end-to-end flow, as named steps: trained model -> integer SNN -> project -> every check -> report.

``run_flow`` runs :data:`STEPS` in order (Yosys synthesis runs in the background from ``build`` until
``report``, as it is the slowest step and the simulators need the other core):

- ``model``   the trained reference model of the data set (trained on first use, then cached), or a
  given model file; its quantized ANN's top-1 on the test split;
- ``convert`` the integer SNN for T steps with the chosen method, calibrated on training images;
- ``build``   the project for the board (HLS C++, scripts, Verilog under rtl/);
- ``golden``  the golden model's top-1 on the test split;
- ``sweep``   top-1 of the golden model for other T and methods (the report's accuracy-vs-T plot);
- ``csim``    g++ C simulation of the HLS code on test images, compared bit-exactly with the golden model
  (scores, class and every layer's spikes at every step);
- ``rtlsim``  Verilator simulation of the Verilog core on test images, compared bit-exactly with the
  golden model, with measured cycles compared with the cycle model;
- ``synth``   Yosys synth_xilinx of rtl/ for the board's family (resources, cached for the report);
- ``report``  report.json / report.html in PROJECT/report.

Every step returns a :class:`StepResult`; a failed check does not stop the flow (the caller reports it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fpgasnn.data.source import DataSource
from fpgasnn.hw import HwConfig, HwNetwork, lower
from fpgasnn.ir.network import Network

DEMO_RES_TARGET_BITS = 0
"""The flow converts at plain integer units (no resolution bits, ``fpgasnn convert``'s default is
17): on the demo's MNIST SNN the top-1 is the same (full test split) and the membranes are 3-9 bits
narrower, which every tap-parallel bank repeats (``python bench/resolution.py --demo``); at the
demo's lanes Yosys counts 45,105 LUT, where 17 resolution bits took 52,968 logic LUTs alone
(``python bench/rtl.py``, the earlier record in git)."""


@dataclass(frozen=True)
class FlowConfig:
    dataset: str = "mnist"
    T: int = 4
    method: str = "best"
    board: str = "pynq-z2"
    lanes: int | Mapping[str, int] | str | None = "fit"
    """Lanes per layer: a number, {layer: n}, "auto[BUDGET]" (the budget spent where the synaptic
    events of 16 calibration images are, :func:`fpgasnn.hw.auto.auto_lanes`) or "fit[PCT]" (the
    fastest lanes and taps whose estimate fits PCT % of the board, :func:`lower_for_board`)."""
    calib_images: int = 512
    csim_images: int = 200
    rtlsim_images: int = 20
    report_images: int = 10000
    cycle_images: int = 100
    sweep_methods: tuple[str, ...] = ("qcfs", "signed_cal")
    """Methods swept over every T of ``sweep_T`` (the report's accuracy-vs-T plot); ``sweep_T=()``
    skips the sweep."""
    sweep_T: tuple[int, ...] = (1, 2, 4, 8)
    sweep_images: int = 2000
    model: str | Path | None = None
    """A Keras model file; None: the data set's cached reference model (trained on first use)."""
    model_spec: object | None = None
    """A :class:`fpgasnn.keras.models.ModelSpec` for the reference model (None: the data set's default)."""
    seed: int = 0
    data: str | Path | None = None
    """The user's images (.npz, :mod:`fpgasnn.data.source`) instead of the data set; needs ``model``."""
    input_scale: float = 1.0 / 255.0
    """Integer data x are fed to the model as x * input_scale (:mod:`fpgasnn.data.userdata`)."""
    replace_maxpool: bool = False
    res_target_bits: int = DEMO_RES_TARGET_BITS
    """Integer resolution of the conversion (``fpgasnn convert --res-target-bits``); the flow builds
    hardware, so it rounds at plain units by default (:data:`DEMO_RES_TARGET_BITS`)."""


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    summary: str
    data: dict = field(default_factory=dict)


@dataclass
class FlowState:
    cfg: FlowConfig
    out: Path
    progress: bool
    model_path: Path | None = None
    net: Network | None = None
    project: Path | None = None
    synth_future: Future | None = None
    test: tuple[np.ndarray, np.ndarray] | None = None
    fnet: object | None = None
    calib: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    sweep: list[dict] = field(default_factory=list)
    hw: HwNetwork | None = None  # the lowered network (lanes resolved) of the build step
    src: object | None = None  # the DataSource: data set or user's file, as the model's pixels


STEPS = ("model", "convert", "build", "golden", "sweep", "csim", "rtlsim", "synth", "report")

DEMO_LANES = {"mnist": {"conv1": 16, "conv2": 16, "fc3": 128, "logits": 10}}
"""The lanes of the demo's reference model per data set (taps auto: every tap of both convolutions in
parallel), chosen to fit the xc7z020 with the demo's conversion (plain integer units,
:data:`DEMO_RES_TARGET_BITS`): Yosys 85 % of its LUTs (distributed RAM counted), 95 % of its BRAM18
(``python bench/rtl.py``). ``fit`` at its default 90 % picks fc3 at 64 lanes: its estimate of this
core's BRAM18 (267) is over 90 % of the part. conv2 at 32 lanes does not fit. Other data sets, models and boards get
``fit`` (:func:`lower_for_board`)."""
DEMO_SPARSITY = {"mnist": 0.01}
"""The activation-sparsity weight the demo's reference model is trained with, per data set (issue 12;
measured by bench/sparsity.py on MNIST: the SNN's top-1 kept, 5.4x fewer spikes); 0 elsewhere."""


def reference_spec(dataset: str, sparsity: float | None = None, levels: int | None = None):
    """The ModelSpec of the demo's reference model of ``dataset`` (None: the data set's default spec):
    trained with the demo's activation sparsity unless ``sparsity`` is given, with ``levels``
    activation levels when given."""
    from fpgasnn.keras.train import default_spec

    over: dict = {}
    s = DEMO_SPARSITY.get(dataset, 0.0) if sparsity is None else sparsity
    if s:
        over["sparsity"] = s
    if levels is not None:
        over["levels"] = levels
    return default_spec(dataset, **over) if over else None


def demo_network(
    work: Path, *, dataset: str = "mnist", T: int = 4, sparsity: float | None = None
) -> tuple[FlowState, StepResult, StepResult]:
    """The demo's trained, converted SNN (the ``model`` and ``convert`` steps into ``work``): the
    cached reference model (trained on first use) with the demo's sparsity unless ``sparsity`` is
    given; T other than 4: the reference CNN trained with T activation levels, converted at T steps.
    Returns the flow state (``net``, ``calib``, ``src``) and the two steps' results."""
    spec = reference_spec(dataset, sparsity, levels=None if T == 4 else T)
    st = FlowState(FlowConfig(dataset=dataset, T=T, model_spec=spec), work, progress=False)
    return st, step_model(st), step_convert(st)


def _test_split(st: FlowState) -> tuple[np.ndarray, np.ndarray]:
    if st.test is None:
        cfg = st.cfg
        st.test = st.src.test_set(calib=(cfg.calib_images, cfg.seed))[:2]
    return st.test


def step_model(st: FlowState) -> StepResult:
    from fpgasnn.frontends import load_model, model_logits
    from fpgasnn.keras.train import cached_reference_model

    cfg = st.cfg
    if cfg.model is not None:
        path, how = Path(cfg.model), "given model"
    else:
        from fpgasnn.keras.train import reference_model_path

        fresh = not reference_model_path(cfg.dataset, cfg.model_spec).is_file()
        path = cached_reference_model(cfg.dataset, cfg.model_spec, progress=st.progress)
        how = (
            "reference model (trained now, cached for the next run)"
            if fresh
            else "reference model (from the cache; trained on first use)"
        )
    st.model_path = path
    model = load_model(path)
    st.src = DataSource.for_model(model, cfg.input_scale, dataset=cfg.dataset, data=cfg.data)
    x, y = _test_split(st)
    logits = model_logits(model, x, input_scale=st.src.encoding.unit)
    top1 = 100.0 * float(np.mean(np.argmax(logits, axis=1) == np.asarray(y)))
    return StepResult(
        "model",
        True,
        0.0,
        f"{how} {path.name}: quantized ANN {top1:.2f} % top-1 on {len(x)} test images",
        {"path": str(path), "ann_q_top1_pct": top1},
    )


def _resolution(net: Network) -> str:
    """How the integers were rounded, and the membrane widths it gave."""
    rb = net.meta.get("res_bits", {})
    how = (
        "resolution bits " + ", ".join(f"{k} {v}" for k, v in rb.items())
        if rb
        else "plain integer units"
    )
    return f"{how}, membranes " + "/".join(f"{n.membrane_bits}" for n in net.neurons()) + " bits"


def step_convert(st: FlowState) -> StepResult:
    from fpgasnn.calibrate import get_method
    from fpgasnn.convert.floatnet import FloatNet
    from fpgasnn.convert.pipeline import convert
    from fpgasnn.frontends import to_floatnet
    from fpgasnn.ir.serialize import save

    cfg, src = st.cfg, st.src
    st.calib = src.calib_draw(cfg.calib_images, cfg.seed)  # training images (float ReLUs, methods)
    fnet = to_floatnet(
        st.model_path,
        calib_images=st.calib[0],
        replace_maxpool=cfg.replace_maxpool,
        input_scale=cfg.input_scale,
        relu_levels=cfg.T,
        relu_percentile="auto",  # as `fpgasnn convert`
        calib_source=f"{len(st.calib[0])} images of the {src.train_name} (seed {cfg.seed})",
    )
    layers = (replace(fnet.input, bits=src.bits, signed=src.signed), *fnet.layers[1:])
    st.fnet = fnet = FloatNet(layers, meta=fnet.meta)
    cx, cy = st.calib if get_method(cfg.method).needs_calibration else (None, None)
    net = convert(
        fnet,
        cfg.T,
        cfg.method,
        calib=cx,
        calib_labels=cy,
        seed=cfg.seed,
        res_target_bits=cfg.res_target_bits,
    )
    st.net = net.with_meta(source=str(st.model_path), **src.meta())
    st.out.mkdir(parents=True, exist_ok=True)
    save(st.net, st.out / "net.snn")
    s = st.net.schedule
    return StepResult(
        "convert",
        True,
        0.0,
        f"{st.net.meta['method']}: T={s.wake} (+presim {s.presim}, +sleep {s.sleep}) = "
        f"{s.total} steps; calibration {st.net.meta.get('calib_s', 0.0):.1f} s on "
        f"{0 if cx is None else len(cx)} training images; " + _resolution(st.net),
        {
            "method": st.net.meta["method"],
            "T": s.wake,
            "total_steps": s.total,
            "snn": str(st.out / "net.snn"),
        },
    )


def build_project(
    net: Network | HwNetwork,
    board,
    out: str | Path,
    lanes=None,
    *,
    force: bool = False,
    snn_bytes: bytes | None = None,
) -> list[Path]:
    """Write the complete project (HLS C++, scripts, test bench, rtl/) for ``board`` (a name or a
    :class:`~fpgasnn.boards.Board`) into ``out``. ``net``: a lowered network, or a Network lowered here
    with ``lanes`` (a lanes policy or an :class:`~fpgasnn.hw.HwConfig`); both back ends format the
    same records."""
    from fpgasnn.backends.hls import project_plan
    from fpgasnn.backends.plan import merge_plans, write_plan
    from fpgasnn.backends.rtl import rtl_plan
    from fpgasnn.boards import Board, load_board

    hw = net if isinstance(net, HwNetwork) else lower(net, HwConfig.make(lanes))
    plan = project_plan(
        hw, board if isinstance(board, Board) else load_board(board), snn_bytes=snn_bytes
    )
    plan = merge_plans(plan, {f"rtl/{k}": v for k, v in rtl_plan(hw).items()})
    return write_plan(plan, out, force=force, replace=True)  # --force: the old project goes whole


def lower_for_board(
    net: Network,
    lanes,
    board,
    taps="auto",
    images: np.ndarray | None = None,
    write_register: bool = False,
):
    """(hardware network, fit result or None): ``net`` lowered with a lanes policy, where ``fit[PCT]``
    is resolved against ``board`` (a name or a :class:`~fpgasnn.boards.Board`) by
    :func:`fpgasnn.backends.rtl.fit.fit` (``write_register``: :attr:`HwConfig.write_register`)."""
    from fpgasnn.boards import Board, load_board

    cfg = HwConfig.make(lanes, taps=taps, write_register=write_register)
    if not cfg.lanes.is_fit:
        return lower(net, cfg, images), None
    from fpgasnn.backends.rtl.fit import fit

    b = board if isinstance(board, Board) else load_board(board)
    res = fit(
        net,
        b.resources,
        cfg.lanes.fit_pct,
        taps=taps,
        images=images,
        board=b.name,
        write_register=cfg.write_register,
    )
    return res.hw, res


def step_build(st: FlowState) -> StepResult:
    from fpgasnn.backends.hls.project import read_project
    from fpgasnn.report.sources import synthesize

    cfg = st.cfg
    st.project = st.out / f"{cfg.board}"
    images = None if st.calib[0] is None else st.calib[0][:16]  # training images, not test
    st.hw, fitted = lower_for_board(st.net, cfg.lanes, cfg.board, images=images)
    files = build_project(
        st.hw, cfg.board, st.project, force=True, snn_bytes=(st.out / "net.snn").read_bytes()
    )
    _, _, board = read_project(st.project)
    st.synth_future = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yosys").submit(
        synthesize, st.project, board
    )
    return StepResult(
        "build",
        True,
        0.0,
        f"{len(files)} files in {st.project} (board {board.name}, {board.part}, lanes "
        f"{_lanes_text(cfg.lanes, st.hw.lanes)}); Yosys started in the background"
        + ("".join(f"\n    {line}" for line in fitted.summary()) if fitted else ""),
        {"project": str(st.project), "files": len(files)},
    )


def _lanes_text(asked, lanes) -> str:
    text = (
        ", ".join(f"{k} {v}" for k, v in lanes.items())
        if isinstance(lanes, Mapping)
        else str(lanes)
    )
    return f"{asked}: {text}" if isinstance(asked, str) else text


def step_golden(st: FlowState) -> StepResult:
    from fpgasnn.golden import simulate

    x, y = _test_split(st)
    n = min(st.cfg.report_images, len(x))
    res = simulate(st.net, x[:n])
    top1 = 100.0 * float(np.mean(res.classes == y[:n]))
    return StepResult(
        "golden",
        True,
        0.0,
        f"integer SNN {top1:.2f} % top-1 on {n} test images",
        {"snn_top1_pct": top1, "images": n},
    )


def step_sweep(st: FlowState) -> StepResult:
    """Accuracy vs T: every T of ``sweep_T`` for the ``sweep_methods``; the flow's own method at the T
    below the flow's T (its costlier calibrations at larger T are left out to keep the demo short),
    plus the converted network itself."""
    from fpgasnn.calibrate import get_method
    from fpgasnn.convert.pipeline import convert
    from fpgasnn.golden import simulate

    cfg = st.cfg
    x, y = _test_split(st)
    n = min(cfg.sweep_images, len(x))
    cx, cy = st.calib
    own = st.net.meta["method"]
    jobs = [(m, T) for m in cfg.sweep_methods for T in cfg.sweep_T]
    swept = {get_method(m).name for m in cfg.sweep_methods}
    if cfg.sweep_T and get_method(cfg.method).name not in swept:
        jobs += [(cfg.method, T) for T in cfg.sweep_T if T < cfg.T]

    def record(net: Network) -> None:
        top1 = 100.0 * float(np.mean(simulate(net, x[:n]).classes == y[:n]))
        st.sweep.append(
            {
                "method": net.meta["method"],
                "method_requested": net.meta.get("method_requested", net.meta["method"]),
                "T": net.schedule.wake,
                "total_steps": net.schedule.total,
                "snn_top1_pct": top1,
                "images": n,
            }
        )

    for method, T in jobs:
        calib = get_method(method).needs_calibration
        record(
            convert(
                st.fnet,
                T,
                method,
                calib=cx if calib else None,
                calib_labels=cy if calib else None,
                seed=cfg.seed,
                res_target_bits=cfg.res_target_bits,
            )
        )
    asked = st.net.meta.get("method_requested", own)  # "best" resolves per T
    if cfg.sweep_T and not any(r["method"] == own and r["T"] == cfg.T for r in st.sweep):
        record(st.net)
    curve = sorted(
        (r["T"], r["snn_top1_pct"])
        for r in st.sweep
        if r["method_requested"] == asked or (r["method"] == own and r["T"] == cfg.T)
    )
    label = own if asked == own else f"{asked} ({own} at T={cfg.T})"
    return StepResult(
        "sweep",
        True,
        0.0,
        f"{len(st.sweep)} networks on the first {n} test images; {label}: "
        + (", ".join(f"T={t} {a:.2f} %" for t, a in curve) or "(no sweep)"),
        {"records": st.sweep},
    )


def step_csim(st: FlowState) -> StepResult:
    from fpgasnn.backends.hls.csim import run_csim

    x, _ = _test_split(st)
    res = run_csim(st.project, x[: st.cfg.csim_images], trace=True)
    msg = (
        f"{res.images} test images, scores/class/per-step spikes vs golden: {res.mismatches} "
        f"mismatches (compile {res.compile_s:.1f} s, {res.images_per_s:.0f} images/s)"
    )
    if not res.ok:
        msg += f"; first: {res.first_mismatch}"
    return StepResult(
        "csim",
        res.ok,
        0.0,
        msg,
        {"images": res.images, "mismatches": res.mismatches, "csim_images_per_s": res.images_per_s},
    )


def step_rtlsim(st: FlowState) -> StepResult:
    from fpgasnn.backends.rtl.check import check
    from fpgasnn.backends.rtl.context import build_context
    from fpgasnn.backends.rtl.sim import RtlSim

    x, _ = _test_split(st)
    x = x[: st.cfg.rtlsim_images]
    sim = RtlSim(st.hw, None, st.out / "rtlsim")
    sim.build()  # Verilator's and the simulator's output go to rtlsim/sim_build/build.log, run_sim.log
    obs = sim.run(x)  # back to back: every image's latency and the intervals between them
    res = check(st.net, build_context(st.hw), x, obs)
    meas = float(np.mean(res.cycles_measured)) if res.cycles_measured else float("nan")
    model = float(np.mean(res.cycles_model)) if res.cycles_model else float("nan")
    ival = float(np.mean(res.intervals_measured)) if res.intervals_measured else float("nan")
    exact = (
        res.cycles_measured == res.cycles_model and res.intervals_measured == res.intervals_model
    )
    msg = (
        f"{res.images} test images back to back on Verilator: {res.mismatches} mismatches; "
        f"latency/image measured {meas:,.1f} cycles, model {model:,.1f}; interval measured "
        f"{ival:,.1f}, model {float(np.mean(res.intervals_model or [np.nan])):,.1f} "
        f"({'exact' if exact else 'DIFFERENT'}); logs in rtlsim/"
    )
    if res.errors:
        msg += f"; first error: {res.errors[0]}"
    return StepResult(
        "rtlsim",
        res.ok and exact,
        0.0,
        msg,
        {
            "images": res.images,
            "mismatches": res.mismatches,
            "cycles_measured": meas,
            "cycles_model": model,
            "interval_cycles_measured": ival,
            "cycles_exact": exact,
        },
    )


def step_synth(st: FlowState) -> StepResult:
    doc = st.synth_future.result()
    return StepResult(
        "synth",
        True,
        0.0,
        f"Yosys synth_xilinx -family {doc['family']}: LUT {doc['LUT']:,}, FF {doc['FF']:,}, "
        f"BRAM_18K {doc['BRAM_18K']}, DSP {doc['DSP']} (pre-place-and-route; Yosys "
        f"{doc['synth_s']} s)",
        {k: doc[k] for k in ("LUT", "FF", "BRAM_18K", "DSP")},
    )


def step_report(st: FlowState, records: dict[str, StepResult]) -> StepResult:
    from fpgasnn.report.collect import ReportOptions
    from fpgasnn.report.write import write_report

    opts = ReportOptions(
        dataset=st.cfg.dataset if st.cfg.data is None else None,  # the report reads data sets only
        images=st.cfg.report_images,
        cycle_images=st.cfg.cycle_images,
        synth=True,
        accuracy_records=tuple(st.sweep),
    )
    flow = {
        name: {"ok": r.ok, "seconds": round(r.seconds, 1), "summary": r.summary, **r.data}
        for name, r in records.items()
    }
    rep, paths, _ = write_report(st.project, opts, extra={"flow": flow})
    lat = rep.get("latency", {})
    res = rep.get("resources", {})
    return StepResult(
        "report",
        True,
        0.0,
        f"{paths[1]} ({lat.get('latency_us_mean', float('nan')):.1f} us/image at "
        f"{rep.get('clock_mhz')} MHz, {lat.get('images_per_s', 0):,.0f} images/s, "
        f"{'fits' if res.get('fits') else 'does NOT fit'} {st.cfg.board}, "
        f"{rep['energy']['energy_nj']:.0f} nJ/image)",
        {"json": str(paths[0]), "html": str(paths[1])},
    )


def run_flow(
    cfg: FlowConfig,
    out: str | Path,
    *,
    progress: bool = False,
    on_step: Callable[[str, StepResult | None], None] | None = None,
) -> dict[str, StepResult]:
    """Run every step of :data:`STEPS` into the folder ``out``; ``on_step(name, None)`` is called when a
    step starts and ``on_step(name, result)`` when it ends."""
    st = FlowState(cfg, Path(out), progress)
    fns = {
        "model": step_model,
        "convert": step_convert,
        "build": step_build,
        "golden": step_golden,
        "sweep": step_sweep,
        "csim": step_csim,
        "rtlsim": step_rtlsim,
        "synth": step_synth,
    }
    records: dict[str, StepResult] = {}
    try:
        for name in STEPS:
            if on_step:
                on_step(name, None)
            t0 = time.perf_counter()
            r = step_report(st, records) if name == "report" else fns[name](st)
            r.seconds = time.perf_counter() - t0
            records[name] = r
            if on_step:
                on_step(name, r)
    finally:
        if st.synth_future is not None and not st.synth_future.done():
            st.synth_future.cancel()
    return records


__all__ = ["STEPS", "FlowConfig", "StepResult", "build_project", "run_flow"]
