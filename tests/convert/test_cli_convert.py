from __future__ import annotations

import json

import numpy as np
import pytest

from fpgasnn.cli import main
from fpgasnn.ir.serialize import load


@pytest.fixture(scope="module")
def keras_model(tmp_path_factory):
    import os

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from fpgasnn.keras.models import ModelSpec, reference_cnn

    spec = ModelSpec(dataset="digits", conv=(4,), hidden=8)
    model = reference_cnn(spec, (8, 8, 1))
    path = tmp_path_factory.mktemp("m") / "digits.h5"
    model.save(path)
    return path


@pytest.mark.slow
def test_convert_writes_an_snn_that_records_its_source(keras_model, tmp_path, capsys):
    out = tmp_path / "net.snn"
    assert (
        main(
            [
                "convert",
                str(keras_model),
                "-T",
                "3",
                "--dataset",
                "digits",
                "--method",
                "snncal_adv",
                "--calib-images",
                "32",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    net = load(out)
    assert net.schedule.wake == 3 and net.meta["method"] == "snncal_adv"
    assert net.meta["source"] == str(keras_model) and net.meta["calibration_images"] == 32
    assert "wrote" in capsys.readouterr().out


@pytest.mark.slow
def test_evaluate_json_records(keras_model, tmp_path):
    js = tmp_path / "r.json"
    assert (
        main(["evaluate", str(keras_model), "--dataset", "digits", "-T", "1,2", "--json", str(js)])
        == 0
    )
    recs = json.loads(js.read_text())
    assert [r["T"] for r in recs] == [1, 2]
    for r in recs:
        assert r["images"] == 360 and r["dataset"] == "digits"
        assert np.isclose(r["gap_pp"], r["ann_q_top1_pct"] - r["snn_top1_pct"], atol=1e-3)
        assert any(k.startswith("layers.") and k.endswith(".spike_rate") for k in r)  # flat records


def test_res_target_bits_option(keras_model, tmp_path):
    fine, plain = tmp_path / "fine.snn", tmp_path / "plain.snn"
    assert (
        main(["convert", str(keras_model), "-T", "3", "--dataset", "digits", "-o", str(fine)]) == 0
    )
    assert (
        main(
            [
                "convert",
                str(keras_model),
                "-T",
                "3",
                "--dataset",
                "digits",
                "--res-target-bits",
                "0",
                "-o",
                str(plain),
            ]
        )
        == 0
    )
    a, b = load(fine), load(plain)
    assert b.meta["res_bits"] == {} and a.meta["res_bits"]
    assert max(int(np.abs(st.synapse.weight).max()) for st in b.stages()) == 127
    for na, nb in zip(a.neurons(), b.neurons(), strict=False):
        k = a.meta["res_bits"].get(
            next(st.synapse.name for st in a.stages() if st.activation.name == na.name), 0
        )
        assert na.theta >= 1 << 17 or k == 12
        assert abs(na.theta - (nb.theta << k)) <= 1 << k  # the same threshold, 2**k finer
