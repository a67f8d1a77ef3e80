"""Layer names become valid, unique C++ identifiers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.hls.csim import run_csim
from fpgasnn.hw.names import sanitize, unique_identifiers
from fpgasnn.ir import Conv2D, Dense, Flatten, Input, Network, Neuron, NeuronKind, Output, Schedule

IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("conv1", "conv1"),
        ("conv 1", "conv_1"),
        ("1st-layer", "l1st_layer"),
        ("class", "class_l"),
        ("a..b", "a_b"),
        ("__x__", "x"),
        ("dense/kernel:0", "dense_kernel_0"),
        ("ü", "layer"),
    ],
)
def test_sanitize(name, expected):
    assert sanitize(name) == expected
    assert IDENT.match(sanitize(name)) and "__" not in sanitize(name)


def test_unique_identifiers():
    ids = unique_identifiers(["a b", "a-b", "a_b", "int"])
    assert ids == {"a b": "a_b", "a-b": "a_b_2", "a_b": "a_b_3", "int": "int_l"}


def _weird_net() -> Network:
    rng = np.random.default_rng(3)
    nodes = [
        Input("input image", (1, 6, 6), bits=4),
        Conv2D("conv/1:0", rng.integers(-7, 8, (3, 1, 3, 3)), rng.integers(-5, 6, 3)),
        Neuron("class", NeuronKind.SIGNED_IF, 30, 15),
        Flatten("flatten-1"),
        Dense("2nd dense", rng.integers(-7, 8, (6, 48)), rng.integers(-5, 6, 6)),
        Neuron("2nd-dense", NeuronKind.IF, 12, 6),
        Dense("dense__out", rng.integers(-7, 8, (4, 6))),
        Output("out put"),
    ]
    return Network(tuple(nodes), Schedule(wake=3))


@pytest.mark.tool
def test_weird_names_compile_and_match(tmp_path):
    need("g++", "ap_types")
    res = run_csim(_weird_net(), n=20, workdir=tmp_path)
    assert res.ok, str(res.first_mismatch)
    text = (tmp_path / "project" / "firmware" / "parameters.h").read_text()
    for ident in (
        "conv_1_0_config_t",
        "class_l_config_t",
        "l2nd_dense_config_t",
        "l2nd_dense_2_config_t",
        "dense_out_config_t",
        "out_put_config_t",
    ):
        assert f"struct {ident} {{" in text
