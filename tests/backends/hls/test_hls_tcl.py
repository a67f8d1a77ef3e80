"""The generated Vitis HLS and Vivado scripts run under plain tclsh with every vendor command stubbed
by an ``unknown`` proc that records the calls."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import IN_CI
from fpgasnn.backends.hls import project_plan
from fpgasnn.backends.plan import write_plan
from fpgasnn.boards import list_boards, load_board
from fpgasnn.ir import examples

DRIVER = """\
set script [lindex $argv 0]
set argv [lrange $argv 1 end]
set argc [llength $argv]
set ::calls {}
proc unknown {args} { lappend ::calls $args; return "" }
if {[llength [info commands exit]]} { rename exit _tcl_exit }
proc exit {args} { lappend ::calls [list exit] }
source $script
foreach c $::calls { puts $c }
"""


# Without a tclsh on the PATH, Python's own Tcl interpreter (tkinter.Tcl, no display needed) runs the
# driver with the same argv conventions.
_PY_TCL = (
    "import sys, tkinter; t = tkinter.Tcl(); t.eval('set argv {}'); "
    "[t.eval('lappend argv ' + '{' + a + '}') for a in sys.argv[2:]]; "
    "t.eval('set argc [llength $argv]'); t.eval('source {' + sys.argv[1] + '}')"
)


def _tclsh() -> list[str]:
    path = shutil.which("tclsh")
    if path is not None:
        return [path]
    try:
        import tkinter  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("CI=true and neither tclsh nor Python's tkinter (Tcl) is available")
        pytest.skip("no Tcl interpreter (tclsh or tkinter)")
    return [sys.executable, "-c", _PY_TCL]


def _run(prj, script: str, *args: str) -> list[str]:
    driver = prj / "driver.tcl"
    driver.write_text(DRIVER)
    proc = subprocess.run(
        [*_tclsh(), str(driver), f"scripts/{script}", *args],
        cwd=prj,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.fixture(scope="module")
def net():
    return examples.random_network(160)


@pytest.mark.tool
@pytest.mark.parametrize("board", list_boards())
def test_scripts_parse_and_target_the_board(board, net, tmp_path):
    b = load_board(board)
    write_plan(project_plan(net, b, 2), tmp_path)
    hls = _run(tmp_path, "build_hls.tcl")
    assert hls[0] == "open_project -reset hls_prj"
    assert "set_top snn_top" in hls
    assert f"set_part {b.part}" in hls
    assert f"create_clock -period {1000 / b.clock_mhz:.3f} -name default" in hls
    names = [c.split()[0] for c in hls]
    assert names[-5:] == ["csim_design", "csynth_design", "cosim_design", "export_design", "exit"]

    viv = _run(tmp_path, "build_vivado.tcl")
    assert (
        viv[0] == f"create_project -force snn_top_vivado {tmp_path.resolve()}/vivado -part {b.part}"
    )
    assert f"set_property board_part {b.board_part} {{}}" in viv
    assert "create_bd_cell -type ip -vlnv fpgasnn.org:fpgasnn:snn_top:1.0 snn_core" in viv
    ps = {
        "zynq7000": "xilinx.com:ip:processing_system7:5.5",
        "zynqmp": "xilinx.com:ip:zynq_ultra_ps_e",
    }
    if b.is_zynq:
        assert f"create_bd_cell -type ip -vlnv {ps[b.family]} ps" in viv
        assert "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma dma" in viv
        assert "get_bd_intf_pins snn_core/pixels_in" in viv
    else:
        assert not any("axi_dma" in c or "ps_e" in c or "processing_system7" in c for c in viv)
        assert "make_bd_intf_pins_external {}" in viv
    assert viv[-1] == "update_compile_order -fileset sources_1"
    assert not any(c.startswith("launch_runs") for c in viv)


@pytest.mark.tool
def test_script_switches(net, tmp_path):
    write_plan(project_plan(net, load_board("pynq-z2")), tmp_path)
    names = [c.split()[0] for c in _run(tmp_path, "build_hls.tcl", "csim=0", "cosim=0")]
    assert "csim_design" not in names and "cosim_design" not in names and "csynth_design" in names
    viv = _run(tmp_path, "build_vivado.tcl", "bitstream=1")
    assert "launch_runs impl_1 -to_step write_bitstream -jobs 4" in viv
