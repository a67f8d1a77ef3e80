"""Calibration / error-correction methods of the seed papers (DESIGN.md section 3), one module each.

``METHODS`` maps a method name to its :class:`Method`; ``get_method(name, T, levels)`` looks one up.
"best" is the method that did best at that T in ``bench/conversion.py`` on the full MNIST and
Fashion-MNIST test sets, for a network trained with L = T levels (:data:`BEST_MATCHED`) or another L
(:data:`BEST_BY_T`); :data:`BEST` where the bench has no figure.
"""

from __future__ import annotations

from fpgasnn.calibrate import casc, cos, fastsnn, qcfs, snncal, twostage
from fpgasnn.calibrate.method import Method
from fpgasnn.errors import FpgasnnError

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        qcfs.METHOD,
        fastsnn.METHOD,
        casc.METHOD,
        cos.METHOD,
        cos.STATIC,
        snncal.LIGHT,
        snncal.ADVANCED,
        snncal.SIGNED,
        twostage.METHOD,
        twostage.SIGNED,
        cos.SIGNED_CAL_STATIC,
    )
}
BEST = "twostage_signed"
"""What "best" stands for when neither T nor the network is known (it calibrates, so a caller that
asks whether "best" needs calibration images before knowing T is told yes)."""
BEST_MATCHED: dict[int, str] = {
    # L1 models at T = 1 (1,024 calibration images): qcfs 98.88 / 92.05 = the quantized ANN (one step of
    # one layer is one quantizer decision); twostage_signed gives the same network (Stage II stops: exact)
    1: "qcfs",
    # L2 models at T = 2: signed_cal 99.03 / 92.74 (calib 8.2 / 8.0 s), snncal_adv 99.04 / 92.19, qcfs
    # 99.03 / 90.57, signed_cal_cos 92.66 on Fashion-MNIST (the static COS shift on top does not help)
    2: "signed_cal",
    # L4 models at T = 4 (SNN top-1 MNIST / Fashion-MNIST): signed_cal 99.10 / 92.52, twostage_signed
    # 99.04 / 92.52, snncal_adv 99.14 / 92.12 (bench/results/conversion.md, 2,048 calibration images)
    4: "signed_cal",
}
"""T -> "best" for a network trained with L = T levels (``bench/conversion.py``, full test sets)."""
BEST_BY_T: dict[int, str] = {
    # L4 models at T = 1: twostage = twostage_signed 98.53 / 89.55 (signed IF = IF in one step)
    1: "twostage_signed",
    # L4 models at T = 2: twostage_signed 98.86 / 91.84, twostage 98.88 / 91.31, fastsnn 97.11 / 91.90
    2: "twostage_signed",
    # L4 models at T = 8: signed_cal 99.17 / 92.58, twostage_signed 99.00 / 92.47
    8: "signed_cal",
}
"""T -> "best" for the other networks at that T (measured on the L = 4 reference models)."""


def best_for(T: int | None, levels: int | None = None) -> str:
    """The method "best" stands for at ``T`` for a network whose quantizers have ``levels`` levels
    (``None``: not known or not the same in every layer)."""
    if T is None:
        return BEST
    if levels == T and T in BEST_MATCHED:
        return BEST_MATCHED[T]
    return BEST_BY_T.get(int(T), BEST)


def get_method(name: str, T: int | None = None, levels: int | None = None) -> Method:
    """The method ``name``; "best" resolves to :func:`best_for` ``(T, levels)``."""
    if name == "best":
        name = best_for(T, levels)
    if name not in METHODS:
        raise FpgasnnError(f"unknown conversion method {name!r}; known: best, {', '.join(METHODS)}")
    return METHODS[name]


def network_levels(fnet) -> int | None:
    """The quantizer levels L shared by every activation of a FloatNet (None if they differ)."""
    levels = {a.levels for a in fnet.activations()}
    return levels.pop() if len(levels) == 1 else None


__all__ = [
    "BEST",
    "BEST_BY_T",
    "BEST_MATCHED",
    "METHODS",
    "Method",
    "best_for",
    "get_method",
    "network_levels",
]
