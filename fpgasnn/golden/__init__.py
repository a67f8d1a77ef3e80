"""The NumPy golden model: the specification every other level is checked against."""

from fpgasnn.golden.simulate import SimResult, Trace, simulate

__all__ = ["SimResult", "Trace", "simulate"]
