"""Place and route a built project's Verilog core (``PROJECT/rtl/``) on an ECP5 board.

The result goes to ``PROJECT/pnr/BOARD/`` (see :mod:`fpgasnn.pnr.flow`); the clock checked is the
project's board clock unless another is given: the clock every latency figure of the project
assumes.
"""

from __future__ import annotations

from pathlib import Path

from fpgasnn.backends.plan import Plan
from fpgasnn.boards import load_ecp5_board
from fpgasnn.errors import BackendError
from fpgasnn.pnr.flow import RESULT_FILE, PnrResult, place_and_route, plan_digest, read_result

DEFAULT_BOARD = "ulx3s-85f"
TOP = "snn_top"


def rtl_folder_plan(rtl: str | Path) -> Plan:
    """Every file of a core's folder (``*.v``, memory images) as a plan {name: text}."""
    rtl = Path(rtl)
    if not (rtl / f"{TOP}.v").is_file():
        raise BackendError(f"{rtl}: no {TOP}.v; rebuild the project with `fpgasnn build`")
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(rtl.iterdir())
        if p.is_file() and p.suffix in (".v", ".sv", ".mem", ".hex")
    }


def project_clock_mhz(project_dir: str | Path) -> float:
    from fpgasnn.backends.hls.project import read_project

    _, _, board = read_project(project_dir)
    return float(board.clock_mhz)


def pnr_project(
    project_dir: str | Path,
    board: str = DEFAULT_BOARD,
    *,
    seed: int = 1,
    clock_mhz: float | None = None,
    timeout: float | None = None,
) -> PnrResult:
    """Place and route ``PROJECT/rtl`` on ``board``; result in ``PROJECT/pnr/BOARD/``."""
    root = Path(project_dir)
    b = load_ecp5_board(board)
    clock = float(clock_mhz) if clock_mhz is not None else project_clock_mhz(root)
    plan = rtl_folder_plan(root / "rtl")
    return place_and_route(
        plan, b, root / "pnr" / b.name, clock_mhz=clock, seed=seed, top=TOP, timeout=timeout
    )


def project_results(project_dir: str | Path) -> list[tuple[PnrResult, bool]]:
    """The place-and-route results saved in ``PROJECT/pnr/*/``, each with whether it is current
    (placed from the project's present ``rtl/``), sorted by board name."""
    root = Path(project_dir)
    out = []
    rtl = root / "rtl"
    plan = rtl_folder_plan(rtl) if (rtl / f"{TOP}.v").is_file() else {}
    for folder in sorted((root / "pnr").glob(f"*/{RESULT_FILE}")):
        res = read_result(folder.parent)
        if res.top != TOP:  # a self-test top (fpgasnn pnr --selftest), not the bare core
            continue
        current = plan_digest(plan, res.board, res.clock_mhz, res.seed, res.top) == res.digest
        out.append((res, current))
    return out


__all__ = [
    "DEFAULT_BOARD",
    "pnr_project",
    "project_clock_mhz",
    "project_results",
    "rtl_folder_plan",
]
