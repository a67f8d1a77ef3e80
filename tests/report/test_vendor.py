from __future__ import annotations

import pytest

from fpgasnn.report.vendor import (
    ReportParseError,
    find_vendor_reports,
    parse_csynth_xml,
    parse_utilization_rpt,
)

CSYNTH = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <UserAssignments><Part>xc7z020-clg400-1</Part><TopModelName>fpgasnn_top</TopModelName>
    <TargetClockPeriod>10.00</TargetClockPeriod></UserAssignments>
  <PerformanceEstimates>
    <SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>7.264</EstimatedClockPeriod></SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency><unit>clock cycles</unit><Best-caseLatency>1203</Best-caseLatency>
      <Average-caseLatency>undef</Average-caseLatency><Worst-caseLatency>98231</Worst-caseLatency>
      <Interval-min>1204</Interval-min><Interval-max>98232</Interval-max></SummaryOfOverallLatency>
  </PerformanceEstimates>
  <AreaEstimates>
    <Resources><BRAM_18K>38</BRAM_18K><DSP48E>9</DSP48E><FF>10412</FF><LUT>18807</LUT><URAM>0</URAM></Resources>
    <AvailableResources><BRAM_18K>280</BRAM_18K><DSP48E>220</DSP48E><FF>106400</FF><LUT>53200</LUT></AvailableResources>
  </AreaEstimates>
</profile>
"""

UTIL = """Copyright 1986-2022 Xilinx, Inc. All Rights Reserved.
1. Slice Logic
--------------
+----------------------------+-------+-------+------------+-----------+-------+
|          Site Type         |  Used | Fixed | Prohibited | Available | Util% |
+----------------------------+-------+-------+------------+-----------+-------+
| Slice LUTs                 | 15321 |     0 |          0 |     53200 | 28.80 |
|   LUT as Logic             | 14000 |     0 |          0 |     53200 | 26.32 |
| Slice Registers            |  9876 |     0 |          0 |    106400 |  9.28 |
2. Memory
| Block RAM Tile             |  20.5 |     0 |          0 |       140 | 14.64 |
|   RAMB36/FIFO*             |    18 |     0 |          0 |       140 | 12.86 |
3. DSP
| DSPs                       |     9 |     0 |          0 |       220 |  4.09 |
"""


def test_csynth_xml(tmp_path):
    p = tmp_path / "prj" / "hls" / "solution1" / "syn" / "report"
    p.mkdir(parents=True)
    (p / "fpgasnn_top_csynth.xml").write_text(CSYNTH)
    rep = parse_csynth_xml(p / "fpgasnn_top_csynth.xml")
    assert {
        k: rep[k]
        for k in (
            "BestLatency",
            "WorstLatency",
            "IntervalMin",
            "IntervalMax",
            "LUT",
            "FF",
            "BRAM_18K",
            "DSP",
            "URAM",
            "TargetClockPeriod",
        )
    } == {
        "BestLatency": 1203,
        "WorstLatency": 98231,
        "IntervalMin": 1204,
        "IntervalMax": 98232,
        "LUT": 18807,
        "FF": 10412,
        "BRAM_18K": 38,
        "DSP": 9,
        "URAM": 0,
        "TargetClockPeriod": 10,
    }
    assert rep["EstimatedClockPeriod"] == 7.264
    found = find_vendor_reports(tmp_path / "prj")
    assert found["csynth"]["LUT"] == 18807 and "utilization" not in found


def test_utilization_rpt(tmp_path):
    p = tmp_path / "impl_utilization_placed.rpt"
    p.write_text(UTIL)
    rep = parse_utilization_rpt(p)
    assert {k: rep[k] for k in ("LUT", "FF", "BRAM_18K", "DSP")} == {
        "LUT": 15321,
        "FF": 9876,
        "BRAM_18K": 41,
        "DSP": 9,
    }
    assert find_vendor_reports(tmp_path)["utilization"]["LUT"] == 15321


def test_bad_reports(tmp_path):
    (tmp_path / "x_csynth.xml").write_text("<profile><oops")
    with pytest.raises(ReportParseError, match="x_csynth.xml: not a readable csynth.xml report"):
        parse_csynth_xml(tmp_path / "x_csynth.xml")
    (tmp_path / "utilization.rpt").write_text("nothing here\n")
    with pytest.raises(ReportParseError, match="no LUT/FF/DSP rows found"):
        parse_utilization_rpt(tmp_path / "utilization.rpt")
