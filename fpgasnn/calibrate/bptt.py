"""Dual-phase Stage II (b): layer-wise BPTT fine-tuning of weights and initial membranes.

For each hidden stage in turn (first to last), the whole converted SNN is unrolled in TensorFlow over
the T wake steps with the golden model's equations (IF or signed IF, reset by subtraction, the first
layer's current computed once), and only that stage's weights and per-neuron initial membranes are
trained; every other parameter is fixed. The loss is ``KL(softmax(ANN logits) || softmax(SNN mean
output))``: the ANN is the integer-weight quantized ANN of the calibration data, the SNN mean output is
the output accumulator divided by T in the ANN's units. Gradients:

- spikes: Heaviside forward, the derivative of ``sigmoid(4 (v - theta) / theta)`` backward (surrogate),
  the reset ``v -= s * theta`` included in the graph; the negative spike of the signed IF likewise
  on ``-v``;
- weights: trained as floats, used rounded and clipped to the weight bits in the forward pass
  (straight-through), so what is trained is what :func:`fpgasnn.convert.snnspec.integerize` keeps.

Adam, a fixed number of epochs over the calibration images in a seeded order, with TensorFlow's op
determinism on: the result is the same for the same seed. After each stage the golden model scores the
candidate on the calibration images; it is kept only if it helps: the golden KL loss goes down and the
calibration accuracy does not. Schedules with pre-simulation or sleep steps, and consistent IF neurons, are returned
unchanged (the dual-phase method does not use them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from fpgasnn.calibrate.common import CalibData, run
from fpgasnn.convert.floatnet import FPool
from fpgasnn.convert.snnspec import SnnSpec, SnnStage
from fpgasnn.ir.nodes import NeuronKind

SURROGATE_SLOPE = 4.0


@dataclass(frozen=True)
class BpttSettings:
    epochs: int = 2
    batch: int = 128
    lr_weight: float = 0.1
    """Adam step in integer weight units."""
    lr_v0: float = 0.01
    """Adam step in thresholds."""
    max_images: int = 2048
    max_image_steps: int = 8192
    """At most this many images x T wake steps are unrolled per epoch (bounds the time at large T)."""


@dataclass
class BpttLog:
    """What happened per stage: golden calibration accuracy and KL before/after, kept or not."""

    stages: list[dict]


def kl_loss(ann_logits: np.ndarray, snn_out: np.ndarray) -> float:
    """Mean ``KL(softmax(ann) || softmax(snn))`` (NumPy, for the golden model's scores)."""

    def log_softmax(z: np.ndarray) -> np.ndarray:
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    lp, lq = log_softmax(ann_logits), log_softmax(snn_out)
    return float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=1)))


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    return tf


def _supported(spec: SnnSpec) -> bool:
    s = spec.schedule
    return (
        s.presim == 0
        and s.sleep == 0
        and all(st.kind in (NeuronKind.IF, NeuronKind.SIGNED_IF) for st in spec.hidden())
    )


def golden_eval(spec: SnnSpec, data: CalibData) -> tuple[float, float]:
    """(calibration accuracy, KL loss to the ANN) of the golden model on the calibration images
    (remembered per spec object in ``data.evals``: Stage II scores the same candidates more than once)."""
    hit = data.evals.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    res = run(spec, data.images)
    logits = data.ann_logits
    out = res.scores.astype(np.float64) * spec.stages[-1].scale / spec.schedule.wake
    got = (data.score(res), kl_loss(logits, out))
    data.evals[id(spec)] = (spec, got)
    return got


class _Unrolled:
    """The SNN of ``spec`` in TensorFlow; stage ``train`` takes its weight and v0 from variables."""

    def __init__(self, tf, spec: SnnSpec, train: int):
        self.tf, self.spec, self.train = tf, spec, train
        wmax = float((1 << (spec.weight_bits - 1)) - 1)
        self.wmax = wmax
        self.w = [tf.constant(np.rint(st.weight), tf.float32) for st in spec.stages]
        self.b = [
            None if st.bias is None else tf.constant(st.bias, tf.float32) for st in spec.stages
        ]
        self.v0 = [
            None if st.is_output else tf.constant(np.asarray(st.v0, np.float64), tf.float32)
            for st in spec.stages
        ]
        st = spec.stages[train]
        self.w_var = tf.Variable(st.weight.astype(np.float32))
        self.v0_var = None  # shaped on the first call

    def _weight(self, i: int):
        tf = self.tf
        if i != self.train:
            return self.w[i]
        w = self.w_var
        return tf.clip_by_value(w + tf.stop_gradient(tf.round(w) - w), -self.wmax, self.wmax)

    def _current(self, i: int, x):
        tf = self.tf
        st: SnnStage = self.spec.stages[i]
        for t in st.transforms:
            if isinstance(t, FPool):
                k = t.pool
                x = tf.transpose(x, (0, 2, 3, 1))
                x = tf.nn.avg_pool2d(x, k, k, "VALID") * float(k * k)
                x = tf.transpose(x, (0, 3, 1, 2))
            else:
                x = tf.reshape(x, (tf.shape(x)[0], -1))
        w = self._weight(i)
        if st.conv:
            pt, pb, pl, pr = st.padding
            xh = tf.transpose(x, (0, 2, 3, 1))
            if any(st.padding):
                xh = tf.pad(xh, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
            y = tf.nn.conv2d(xh, tf.transpose(w, (2, 3, 1, 0)), st.stride, "VALID")
            if self.b[i] is not None:
                y = y + self.b[i]
            return tf.transpose(y, (0, 3, 1, 2))
        y = tf.matmul(x, w, transpose_b=True)
        return y if self.b[i] is None else y + self.b[i]

    def _spike(self, u, theta):
        tf = self.tf
        soft = tf.sigmoid(SURROGATE_SLOPE * u / theta)
        return soft + tf.stop_gradient(tf.cast(u >= 0, tf.float32) - soft)

    def __call__(self, x):
        """SNN mean output in the output stage's integer units per step, for images ``x``."""
        tf = self.tf
        stages = self.spec.stages
        T = self.spec.schedule.wake
        cur0 = self._current(0, x)
        v: list = [None] * len(stages)
        n: list = [None] * len(stages)
        acc = 0.0
        for _ in range(T):
            s = None
            for i, st in enumerate(stages):
                cur = cur0 if i == 0 else self._current(i, s)
                if st.is_output:
                    acc = acc + cur
                    break
                if v[i] is None:
                    base = self.v0_var if i == self.train else self.v0[i]
                    v[i] = base + tf.zeros_like(cur)
                    n[i] = tf.zeros_like(cur)
                vv = v[i] + cur
                theta = float(st.theta)
                sp = self._spike(vv - theta, theta)
                if st.kind is NeuronKind.SIGNED_IF:
                    soft = tf.sigmoid(-SURROGATE_SLOPE * vv / theta)
                    neg = soft + tf.stop_gradient(tf.cast(vv < 0, tf.float32) - soft)
                    sp = sp - neg * tf.cast(n[i] > 0, tf.float32)
                v[i] = vv - sp * theta
                n[i] = n[i] + tf.stop_gradient(sp)
                s = sp
        return acc / float(T)


def _stage_shape(spec: SnnSpec, i: int, images: np.ndarray) -> tuple[int, ...]:
    from fpgasnn.convert.snnspec import integerize
    from fpgasnn.golden.simulate import simulate

    res = simulate(integerize(spec), images[:1])
    return tuple(res.counts[spec.stages[i].act.name].shape[1:])


def finetune_stage(
    spec: SnnSpec,
    i: int,
    images: np.ndarray,
    ann_logits: np.ndarray,
    *,
    seed: int,
    settings: BpttSettings,
    history: list | None = None,
) -> SnnSpec:
    """Train hidden stage ``i``'s weights and per-neuron v0 (see the module docstring); the new spec.
    ``history`` (optional) receives the mean training loss (KL + const) of each epoch."""
    tf = _tf()
    tf.random.set_seed(seed)
    st = spec.stages[i]
    model = _Unrolled(tf, spec, i)
    shape = _stage_shape(spec, i, images)
    model.v0_var = tf.Variable(
        np.broadcast_to(np.asarray(st.v0, np.float64), shape).astype(np.float32)
    )
    out_scale = float(spec.stages[-1].scale)
    target = tf.constant(_softmax(ann_logits), tf.float32)
    xs = tf.constant(np.asarray(images, np.float32))
    params = [model.w_var, model.v0_var]
    lrs = [settings.lr_weight, settings.lr_v0 * float(st.theta)]
    adam = _Adam(tf, params, lrs)

    @tf.function(reduce_retracing=True, autograph=False)  # plain Python loops: no autograph needed
    def step(x, p):
        with tf.GradientTape() as tape:
            z = model(x) * out_scale
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=p, logits=z))
        return loss, tape.gradient(loss, params)

    rng = np.random.default_rng(seed + 7919 * (i + 1))
    for _ in range(settings.epochs):
        order = rng.permutation(len(images))
        losses = []
        for k in range(0, len(order), settings.batch):
            idx = tf.constant(np.sort(order[k : k + settings.batch]))
            loss, grads = step(tf.gather(xs, idx), tf.gather(target, idx))
            adam.apply(grads)
            losses.append(float(loss) * len(idx))
        if history is not None:
            history.append(sum(losses) / len(order))
    w = np.clip(model.w_var.numpy().astype(np.float64), -model.wmax, model.wmax)
    return spec.with_stage(i, weight=w, v0=model.v0_var.numpy().astype(np.float64))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class _Adam:
    """Plain Adam on a list of variables (no Keras), one learning rate per variable."""

    def __init__(self, tf, params, lrs, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.tf, self.params, self.lrs = tf, params, lrs
        self.b1, self.b2, self.eps, self.t = b1, b2, eps, 0
        self.m = [np.zeros(p.shape, np.float32) for p in params]
        self.v = [np.zeros(p.shape, np.float32) for p in params]

    def apply(self, grads) -> None:
        self.t += 1
        for k, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if g is None:
                continue
            g = g.numpy()
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            mh = self.m[k] / (1 - self.b1**self.t)
            vh = self.v[k] / (1 - self.b2**self.t)
            p.assign_sub(self.lrs[k] * mh / (np.sqrt(vh) + self.eps))


def finetune_bptt(
    spec: SnnSpec,
    data: CalibData,
    *,
    seed: int = 0,
    settings: BpttSettings | None = None,
    log: list | None = None,
) -> SnnSpec:
    """Stage II (b): each hidden stage in turn, kept only if it helps on the calibration data."""
    settings = settings or BpttSettings()
    if not _supported(spec) or data.ann_logits is None:
        return spec
    n = min(
        len(data.images),
        settings.max_images,
        max(1, settings.max_image_steps // spec.schedule.wake),
    )
    images, logits = data.images[:n], data.ann_logits[:n]
    best = golden_eval(spec, data)
    for i in range(len(spec.stages) - 1):
        cand = finetune_stage(spec, i, images, logits, seed=seed, settings=settings)
        got = golden_eval(cand, data)
        keep = got[0] >= best[0] and got[1] < best[1]
        if log is not None:
            log.append(
                {
                    "stage": spec.stages[i].name,
                    "acc_before": round(best[0], 5),
                    "kl_before": round(best[1], 5),
                    "acc_after": round(got[0], 5),
                    "kl_after": round(got[1], 5),
                    "kept": keep,
                }
            )
        if keep:
            spec, best = cand, got
    return spec


__all__ = ["BpttSettings", "finetune_bptt", "finetune_stage", "golden_eval", "kl_loss"]
