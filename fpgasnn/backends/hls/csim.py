"""C simulation: compile a project's C++ with g++ against the ap_types headers of the installed hls4ml
package, run a whole batch of images in ONE process, and compare with the golden model bit-exactly --
scores, class, and (trace builds) every neuron layer's spikes at every time step.

Python API::

    res = run_csim(project_dir_or_network, images, trace=True)
    res.ok, res.mismatches, res.first_mismatch, res.images_per_s
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fpgasnn import toolchain
from fpgasnn.backends.hls.context import TOP_NAME, HlsContext, build_context
from fpgasnn.backends.hls.project import project_config, project_plan, read_project
from fpgasnn.backends.hls.stimulus import format_images, parse_outputs, random_images
from fpgasnn.backends.plan import write_plan
from fpgasnn.boards import Board, load_board
from fpgasnn.errors import SimulationError, ToolError
from fpgasnn.golden import simulate
from fpgasnn.hw import HwConfig, lower
from fpgasnn.ir.network import Network

CXXFLAGS = ("-O3", "-std=c++17", "-Wall", "-Wextra", "-pthread")
TRACE_CHUNK = 256
"""Images per golden-model comparison chunk of a trace run (bounds memory)."""
_SUMMARY = re.compile(r"FPGASNN_CSIM images=(\d+) mismatches=(\d+) seconds=([0-9.eE+-]+)")


@dataclass(frozen=True)
class Mismatch:
    """The first difference between csim and the golden model."""

    image: int
    what: str  # "spikes", "scores" or "class"
    layer: str
    step: int | None = None
    phase: str | None = None
    neuron: tuple[int, ...] | None = None
    golden: int = 0
    csim: int = 0

    def __str__(self) -> str:
        where = f"image {self.image}, layer {self.layer!r}"
        if self.step is not None:
            where += f", step {self.step} ({self.phase})"
        if self.neuron is not None:
            where += f", neuron {self.neuron}"
        return f"{where}: {self.what} golden {self.golden}, csim {self.csim}"


@dataclass
class CsimResult:
    images: int
    scores: np.ndarray
    classes: np.ndarray
    mismatches: int
    """Images whose scores, class or (traced) spikes differ from the golden model."""
    first_mismatch: Mismatch | None
    traced: bool
    strict: bool
    compile_s: float
    run_s: float
    """Seconds the compiled bench spent in the inference loop (file I/O excluded)."""
    warnings: list[str] = field(default_factory=list)
    """Compiler warnings located in the project's own files (vendor headers excluded)."""

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    @property
    def images_per_s(self) -> float:
        return self.images / self.run_s if self.run_s > 0 else float("inf")


@dataclass(frozen=True)
class CsimBuild:
    """A compiled test bench of a project."""

    project_dir: Path
    executable: Path
    trace: bool
    strict: bool
    compile_s: float
    warnings: tuple[str, ...]


def _c_path(path: Path) -> str:
    return str(path).replace("\\", "\\\\").replace('"', '\\"')


def compile_project(
    project_dir: str | Path, build_dir: str | Path, *, trace: bool = True, strict: bool = False
) -> CsimBuild:
    """Compile firmware + test bench of ``project_dir`` into ``build_dir`` with g++ (vendor headers via
    -isystem, so only their own warnings are silenced).

    ``trace``: record every neuron layer's spikes per step. ``strict``: ap_int arithmetic for the
    synaptic currents and membranes too (-DFPGASNN_CSIM_AP_TYPES, about 5x slower); by default they
    are computed in native integers wide enough for every value range analysis allows, and stored in
    the ap_int/ap_uint types of the hardware (see fpgasnn_defines.h)."""
    root = Path(project_dir).resolve()
    out = Path(build_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    exe = out / ("csim" + ("_trace" if trace else "") + ("_strict" if strict else ""))
    argv = [
        toolchain.gxx(),
        *CXXFLAGS,
        "-isystem",
        str(toolchain.ap_types_include()),
        "-I",
        str(root / "firmware"),
    ]
    if trace:
        argv.append("-DFPGASNN_TRACE")
    if strict:
        argv.append("-DFPGASNN_CSIM_AP_TYPES")
    # One translation unit (test bench + core): the vendor headers are parsed once, not twice.
    unity = out / (exe.name + "_unity.cpp")
    sources = [root / "tb" / f"{TOP_NAME}_tb.cpp", root / "firmware" / f"{TOP_NAME}.cpp"]
    unity.write_text("".join(f'#include "{_c_path(p)}"\n' for p in sources))
    argv += [str(unity), "-o", str(exe)]
    t0 = time.perf_counter()
    log = toolchain.run_tool(argv, cwd=out, what="compiling the C simulation")
    dt = time.perf_counter() - t0
    own = [ln for ln in log.splitlines() if "warning:" in ln and ln.startswith(str(root))]
    return CsimBuild(root, exe, trace, strict, dt, tuple(own))


def _internal_to_chw(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(..., pixels*channels) in the kernels' [pixel][channel] order -> (..., *shape) in C, H, W order."""
    lead = arr.shape[:-1]
    if len(shape) == 1:
        return arr.reshape(*lead, shape[0])
    c, h, w = shape
    return np.moveaxis(arr.reshape(*lead, h, w, c), -1, -3)


def _first_diff(a: np.ndarray, b: np.ndarray) -> tuple[int, ...] | None:
    diff = np.argwhere(a != b)
    return tuple(int(v) for v in diff[0]) if len(diff) else None


def _compare(
    net: Network,
    ctx: HlsContext,
    x: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    trace: np.ndarray | None,
) -> tuple[int, Mismatch | None]:
    """Number of differing images and the first difference (lowest image, then step, then layer)."""
    bad = np.zeros(len(x), dtype=bool)
    first: Mismatch | None = None
    neurons = ctx.neurons
    sizes = [n.pixels * n.channels for n in neurons]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    out_name = ctx.output.name
    for lo in range(0, len(x), TRACE_CHUNK):
        hi = min(lo + TRACE_CHUNK, len(x))
        gold = simulate(net, x[lo:hi], trace=trace is not None)
        cands: list[tuple[tuple[int, int, int], Mismatch]] = []
        sdiff = np.any(gold.scores != scores[lo:hi], axis=1)
        cdiff = gold.classes != classes[lo:hi]
        bad[lo:hi] |= sdiff | cdiff
        for i in np.flatnonzero(sdiff | cdiff):
            if sdiff[i]:
                k = int(np.flatnonzero(gold.scores[i] != scores[lo + i])[0])
                m = Mismatch(
                    lo + int(i),
                    "scores",
                    out_name,
                    neuron=(k,),
                    golden=int(gold.scores[i, k]),
                    csim=int(scores[lo + i, k]),
                )
            else:
                m = Mismatch(
                    lo + int(i),
                    "class",
                    out_name,
                    golden=int(gold.classes[i]),
                    csim=int(classes[lo + i]),
                )
            cands.append(((lo + int(i), 1 << 30, 0), m))
            break
        if trace is not None:
            phases = gold.trace.phases
            for li, n in enumerate(neurons):
                got = _internal_to_chw(trace[lo:hi, :, offsets[li] : offsets[li + 1]], n.shape)
                got = np.moveaxis(got, 1, 0)  # (steps, images, *shape) like the golden trace
                want = gold.trace.spikes[n.name]
                per_image = np.any(
                    (got != want).reshape(got.shape[0], got.shape[1], -1), axis=(0, 2)
                )
                bad[lo:hi] |= per_image
                if per_image.any():
                    i = int(np.flatnonzero(per_image)[0])
                    steps = np.flatnonzero(
                        np.any((got[:, i] != want[:, i]).reshape(got.shape[0], -1), axis=1)
                    )
                    t = int(steps[0])
                    idx = _first_diff(want[t, i], got[t, i])
                    cands.append(
                        (
                            (lo + i, t, li),
                            Mismatch(
                                lo + i,
                                "spikes",
                                n.name,
                                step=t,
                                phase=phases[t],
                                neuron=idx,
                                golden=int(want[(t, i, *idx)]),
                                csim=int(got[(t, i, *idx)]),
                            ),
                        )
                    )
        if first is None and cands:
            first = min(cands, key=lambda c: c[0])[1]
    return int(bad.sum()), first


def run_build(
    build: CsimBuild,
    net: Network,
    ctx: HlsContext,
    images: np.ndarray,
    workdir: str | Path,
    threads: int = 1,
) -> CsimResult:
    """Run a compiled bench on ``images`` (one process for the whole batch; ``threads`` > 1 splits the
    images over threads, untraced builds only) and compare."""
    work = Path(workdir)
    x = np.asarray(images)
    if x.shape[1:] != net.input.shape or x.dtype.kind not in "iu":
        raise SimulationError(
            f"input layer {net.input.name!r} expects integer images of shape "
            f"(N, {', '.join(map(str, net.input.shape))}), got {x.shape} {x.dtype}"
        )
    lo, hi = net.input.value_range
    if x.size and (int(x.min()) < lo or int(x.max()) > hi):
        raise SimulationError(
            f"input layer {net.input.name!r}: pixels must lie in [{lo}, {hi}], "
            f"got [{int(x.min())}, {int(x.max())}]"
        )
    inputs, results, trace_path = work / "inputs.txt", work / "results.txt", work / "trace.bin"
    inputs.write_text(format_images(x))
    argv = [str(build.executable), f"-j{max(1, int(threads))}", str(inputs), "-", str(results)]
    if build.trace:
        argv.append(str(trace_path))
    log = toolchain.run_tool(argv, cwd=work, what="running the C simulation")
    m = _SUMMARY.search(log)
    if m is None:
        raise ToolError(argv, 0, log, "the C simulation printed no summary line")
    run_s = float(m.group(3))
    n_classes = ctx.output.classes
    scores, classes = parse_outputs(results.read_text(), n_classes)
    if len(scores) != len(x):
        raise ToolError(
            argv, 0, log, f"the C simulation wrote {len(scores)} results for {len(x)} images"
        )
    trace = None
    if build.trace:
        per_step = sum(n.pixels * n.channels for n in ctx.neurons)
        expect = len(x) * ctx.total_steps * per_step
        size = trace_path.stat().st_size
        raw = np.memmap(trace_path, dtype=np.int8, mode="r") if size else np.zeros(0, dtype=np.int8)
        if raw.size != expect:
            raise ToolError(argv, 0, log, f"trace has {raw.size} values, expected {expect}")
        trace = raw.reshape(len(x), ctx.total_steps, per_step)
    mism, first = _compare(net, ctx, x.astype(np.int64), scores, classes, trace)
    return CsimResult(
        len(x),
        scores,
        classes,
        mism,
        first,
        build.trace,
        build.strict,
        build.compile_s,
        run_s,
        list(build.warnings),
    )


def run_csim(
    project: str | Path | Network,
    images: np.ndarray | None = None,
    *,
    n: int = 100,
    seed: int = 0,
    trace: bool = True,
    strict: bool = False,
    board: str | Board = "pynq-z2",
    lanes: int | Mapping[str, int] | None = None,
    taps: str | int | Mapping = "auto",
    threads: int = 1,
    workdir: str | Path | None = None,
) -> CsimResult:
    """Compile and run the C simulation of a project folder (or of a network, built into a temporary
    project for ``board``/``lanes``/``taps``, see :meth:`HwConfig.make`) on ``images`` (default: ``n`` seeded random images) and compare it
    with the golden model. ``threads``: simulate untraced runs on several threads in the one process."""
    with tempfile.TemporaryDirectory(prefix="fpgasnn_csim_") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if isinstance(project, Network):
            net = project
            brd = board if isinstance(board, Board) else load_board(board)
            prj = work / "project"
            hw = lower(net, HwConfig.make(lanes, taps))
            write_plan(project_plan(hw, brd), prj, force=True)
        else:
            doc, net, brd = read_project(project)
            hw = lower(net, project_config(doc))
            prj = Path(project)
        ctx = build_context(hw, brd)
        x = random_images(net, n, seed) if images is None else np.asarray(images)
        build = compile_project(prj, work / "build", trace=trace, strict=strict)
        return run_build(build, net, ctx, x, work, threads)


__all__ = [
    "CXXFLAGS",
    "CsimBuild",
    "CsimResult",
    "Mismatch",
    "compile_project",
    "run_build",
    "run_csim",
]
