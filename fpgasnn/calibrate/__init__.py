"""Calibration / error-correction methods of the seed papers (DESIGN.md section 3), one module each.

``METHODS`` maps a method name to its :class:`Method`; ``get_method(name)`` looks one up ("best" is
the method that did best in ``bench/conversion.py`` on the full MNIST test set: signed IF + two-stage
Stage II, gap 0.60 / 0.27 / 0.07 pp at T = 1 / 2 / 4, the only pipeline within all three goals).
"""

from __future__ import annotations

from fpgasnn.calibrate import casc, cos, fastsnn, qcfs, snncal, twostage
from fpgasnn.calibrate.method import Method
from fpgasnn.errors import FpgasnnError

METHODS: dict[str, Method] = {m.name: m for m in (
    qcfs.METHOD, fastsnn.METHOD, casc.METHOD, cos.METHOD, cos.STATIC, snncal.LIGHT, snncal.ADVANCED,
    snncal.SIGNED, twostage.METHOD, twostage.SIGNED,
)}
BEST = "twostage_signed"


def get_method(name: str) -> Method:
    if name == "best":
        name = BEST
    if name not in METHODS:
        raise FpgasnnError(f"unknown conversion method {name!r}; known: best, {', '.join(METHODS)}")
    return METHODS[name]


__all__ = ["BEST", "METHODS", "Method", "get_method"]
