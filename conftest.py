"""Shared test fixtures for tests/ and rtl_tests/ alike: the one conftest, at the root, so that
``from conftest import need`` always finds this module. Tests marked ``tool`` call :func:`need` for
each external tool: locally a missing tool skips the test; with CI=true it FAILS, so CI can never
pass by skipping."""

from __future__ import annotations

import os

import pytest

from fpgasnn import toolchain
from fpgasnn.report import browser

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_FINDERS = {
    "g++": toolchain.gxx,
    "ap_types": toolchain.ap_types_include,
    "verilator": toolchain.verilator_bin_dir,
    "yosys": toolchain.yosys,
    "nextpnr": toolchain.nextpnr_ecp5,
    "ecppack": toolchain.ecppack,
    "chromium": browser.find_chromium,
}


def need(*tools: str) -> None:
    for t in tools:
        try:
            _FINDERS[t]()
        except toolchain.MissingToolError as e:
            if IN_CI:
                pytest.fail(f"CI=true and a required tool is missing: {e}")
            pytest.skip(str(e))


@pytest.fixture
def require():
    return need
