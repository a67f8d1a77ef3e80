"""``fpgasnn convert`` / ``evaluate`` on models a user brings: float ReLU networks, Keras 3 files, their
own data, unsupported layers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fpgasnn.cli import main
from fpgasnn.data import load_dataset
from fpgasnn.ir.serialize import load

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def float_cnn(tmp_path_factory):
    """A float tf_keras CNN with a fused and a separate ReLU, trained a little on digits."""
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    K.utils.set_random_seed(1)
    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(6, 3, padding="same", activation="relu", name="c1"),
            L.AveragePooling2D(2, name="p"),
            L.Conv2D(8, 3, name="c2"),
            L.ReLU(name="r2"),
            L.Flatten(name="f"),
            L.Dense(10, name="out"),
        ],
        name="floatcnn",
    )
    x, y = load_dataset("digits", "train")
    model.compile(K.optimizers.Adam(1e-2), K.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x.transpose(0, 2, 3, 1) / 255.0, y, epochs=4, verbose=0)
    path = tmp_path_factory.mktemp("m") / "floatcnn.h5"
    model.save(path)
    return path, model


def test_convert_float_relu_records_thresholds_and_images(float_cnn, tmp_path, capsys):
    path, model = float_cnn
    out = tmp_path / "net.snn"
    assert (
        main(
            [
                "convert",
                str(path),
                "--dataset",
                "digits",
                "-T",
                "3",
                "--calib-images",
                "100",
                "--seed",
                "5",
                "--relu-percentile",
                "99",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    net = load(out)
    x, _ = load_dataset("digits", "train")
    idx = np.sort(np.random.default_rng(5).choice(len(x), size=100, replace=False))
    assert net.meta["calibration_indices"] == idx.tolist()
    assert net.meta["calibration_source"] == "digits training split"
    assert net.meta["relu_levels"] == 3 and net.meta["relu_percentile"] == 99.0  # levels default: T
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    probe = K.Model(model.inputs, [model.get_layer("c1").output, model.get_layer("r2").output])
    outs = probe.predict(x[idx].transpose(0, 2, 3, 1).astype(np.float32) / 255, verbose=0)
    want = {
        n: float(np.percentile(o[o > 0], 99)) for n, o in zip(["c1/relu", "r2"], outs, strict=False)
    }
    assert net.meta["relu_thresholds"] == pytest.approx(want, rel=1e-4)
    text = capsys.readouterr().out
    assert f"  c1/relu: {net.meta['relu_thresholds']['c1/relu']:.6g} (99th percentile)\n" in text
    assert "calibration images: 100 of the digits training split (seed 5;" in text


def test_keras3_mlp_with_user_data_evaluate(tmp_path):
    """A Keras 3 MLP on flat inputs, the user's float data (x / 255, NHWC) from an .npz."""
    from fpgasnn.golden.simulate import simulate
    from fpgasnn.keras.tf_env import keras3

    K3 = keras3()
    K3.utils.set_random_seed(2)
    x, y = load_dataset("digits", "train")
    xt, yt = load_dataset("digits", "test")
    L = K3.layers
    model = K3.Sequential(
        [K3.Input((64,)), L.Dense(24, activation="relu", name="h"), L.Dense(10, name="o")],
        name="mlp",
    )
    model.compile(
        optimizer=K3.optimizers.Adam(1e-2),
        loss=K3.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x.reshape(len(x), -1) / 255.0, y, epochs=8, verbose=0)
    mpath, data = tmp_path / "mlp.keras", tmp_path / "d.npz"
    model.save(mpath)
    np.savez(
        data,
        x_train=x.transpose(0, 2, 3, 1) / 255.0,
        y_train=y,
        x_test=xt.transpose(0, 2, 3, 1) / 255.0,
        y_test=yt,
    )
    js, snn = tmp_path / "r.json", tmp_path / "m.snn"
    common = ["--data", str(data), "--calib-images", "200", "--method", "signed_cal"]
    assert main(["evaluate", str(mpath), *common, "-T", "4", "--json", str(js)]) == 0
    assert main(["convert", str(mpath), *common, "-T", "4", "-o", str(snn)]) == 0
    rec = json.loads(js.read_text())[0]
    kcls = np.argmax(np.asarray(model(xt.reshape(len(xt), -1).astype(np.float32) / 255.0)), axis=1)
    assert rec["keras_top1_pct"] == pytest.approx(100 * np.mean(kcls == yt))
    net = load(snn)
    assert net.meta["data_file"] == str(data) and net.meta["frontend"] == "keras3"
    assert net.nodes[0].shape == (64,)
    snn_cls = simulate(net, xt.reshape(len(xt), -1)).classes
    assert rec["keras_agree_pct"] == pytest.approx(100 * np.mean(snn_cls == kcls), abs=1e-3)
    assert rec["snn_top1_pct"] == pytest.approx(100 * np.mean(snn_cls == yt), abs=1e-3)
    assert rec["framework"] == "keras3" and rec["relu_levels"] == 4


def test_maxpool_needs_the_flag(tmp_path, capsys):
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(4, 3, padding="same", activation="relu6", name="c"),
            L.MaxPooling2D(2, name="mp"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="mpnet",
    )
    path, out = tmp_path / "mp.h5", tmp_path / "mp.snn"
    model.save(path)
    assert main(["convert", str(path), "--dataset", "digits", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "fpgasnn convert: error: model 'mpnet' cannot be converted, 1 layer(s) "
        "with problems:\n"
        "  'mp' (MaxPooling2D): max pooling has no exact spiking equivalent;"
    )
    assert not out.exists()
    assert (
        main(["convert", str(path), "--dataset", "digits", "--replace-maxpool", "-o", str(out)])
        == 0
    )
    assert load(out).meta["replace_maxpool"] is True


def _run_cli(*argv, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    return subprocess.run(
        [sys.executable, "-m", "fpgasnn", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def test_unsupported_layers_one_clean_error_nothing_written(tmp_path):
    """Four unsupported layers of different kinds: one error naming all, exit 2, no traceback, no
    TensorFlow log line, no file."""
    code = (
        "from fpgasnn.keras.tf_env import keras3\n"
        "K = keras3(); L = K.layers\n"
        "i = K.Input((8, 8, 1), name='img')\n"
        "a = L.LeakyReLU(name='leaky')(L.Conv2D(4, 3, padding='same', name='a')(i))\n"
        "b = L.Activation('tanh', name='tanh')(L.Conv2D(4, 3, padding='same', name='b')(i))\n"
        "h = L.Softmax(name='sm')(L.Concatenate(name='cat')([a, b]))\n"
        "K.Model(i, L.Dense(10, name='o')(L.Flatten(name='f')(h)), name='four').save('four.keras')\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, capture_output=True)
    r = _run_cli("convert", "four.keras", "--dataset", "digits", "-o", "four.snn", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines == [
        (
            "fpgasnn convert: error: model 'four' cannot be converted, 5 layer(s) with problems (a model "
            "converts only as one chain of layers):"
        ),
        "  'img' (InputLayer): its output feeds 2 layers ('a', 'b')",
        "  'leaky' (LeakyReLU): no handler for this layer class",
        "  'tanh' (Activation): activation 'tanh' (supported: linear, relu, relu6, a final softmax)",
        "  'cat' (Concatenate): merges 2 inputs ('leaky', 'tanh'); no handler for this layer class",
        "  'sm' (Softmax): softmax before the last layer",
    ]
    assert not (tmp_path / "four.snn").exists()


def test_bad_arguments_fail_before_tensorflow(tmp_path):
    code = (
        "import sys\n"
        "from fpgasnn.cli import main\n"
        "for argv in (['-T', '1000'], ['--res-target-bits', '-3'], ['--calib-images', '-5'],\n"
        "             ['--relu-percentile', '0'], ['--input-scale', '0'], ['--relu-levels', '0']):\n"
        "    try:\n"
        "        print(main(['convert', 'm.h5', *argv, '-o', 'x.snn']))\n"
        "    except SystemExit as e:\n"
        "        print(e.code)\n"
        "for out in ('existing.txt', 'missing_dir/x.snn'):\n"
        "    try:\n"
        "        print(main(['convert', 'm.h5', '-o', out]))\n"
        "    except SystemExit as e:\n"
        "        print(e.code)\n"
        "print('TF' if 'tensorflow' in sys.modules else 'clean')\n"
    )
    (tmp_path / "m.h5").write_text("placeholder")
    (tmp_path / "existing.txt").write_text("keep me")
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert r.stdout.split() == ["2"] * 8 + ["clean"]
    err = r.stderr.splitlines()
    assert "argument -T/--steps: expected an integer in [1, 64], got '1000'" in err[0]
    assert "argument --res-target-bits: expected an integer in [0, 24], got '-3'" in err[1]
    assert "argument -o/--output: expected a .snn file name, got 'existing.txt'" in err[6]
    assert "of 'missing_dir/x.snn' does not exist" in err[7]
    assert (tmp_path / "existing.txt").read_text() == "keep me"
