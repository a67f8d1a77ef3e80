"""The hardware configuration a network is lowered with: ONE type for the lanes policy, the parallel
taps of convolutions, and the clock.

A lanes policy is one of

- a number ``N``: every synapse layer gets ``min(N, its output channels)`` lanes;
- a per-layer mapping ``{layer: N}``: the named synapse layers get ``min(N, channels)``, the others 1;
  unknown layer names and values below 1 are errors;
- ``auto[BUDGET]`` (default budget 128): a budget of lanes spent where the synaptic events are
  (:func:`fpgasnn.hw.auto.auto_lanes`);
- ``fit[PCT]`` (default 90): the fastest lanes and taps whose estimated LUTs and block RAMs stay within
  PCT % of a board's. It needs the board, so it is resolved before the lowering
  (:func:`fpgasnn.backends.rtl.fit.fit`, ``fpgasnn build --lanes fit --board NAME``).

Lanes are any integer from 1 to the layer's output channels: both back ends build exactly that many
(the Verilog pads the last chunk of channels, the C++ unrolls by it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fpgasnn.errors import BackendError

DEFAULT_AUTO_BUDGET = 128
DEFAULT_FIT_PCT = 90


@dataclass(frozen=True)
class LanesPolicy:
    """How many output channels each synapse layer updates per cycle (see the module docstring)."""

    every: int | None = None
    per_layer: tuple[tuple[str, int], ...] = ()
    auto_budget: int | None = None
    fit_pct: int | None = None

    def __post_init__(self) -> None:
        chosen = (
            (self.every is not None)
            + bool(self.per_layer)
            + (self.auto_budget is not None)
            + (self.fit_pct is not None)
        )
        if chosen > 1:
            raise BackendError(
                "lanes: give one of a number, LAYER=N pairs, auto[BUDGET] or fit[PCT]"
            )
        if self.every is not None and self.every < 1:
            raise BackendError(f"lanes must be >= 1, got {self.every}")
        for name, n in self.per_layer:
            if n < 1:
                raise BackendError(f"layer {name!r}: lanes must be >= 1, got {n}")
        if self.auto_budget is not None and self.auto_budget < 1:
            raise BackendError(f"lanes: the auto lane budget must be >= 1, got {self.auto_budget}")
        if self.fit_pct is not None and not 1 <= self.fit_pct <= 100:
            raise BackendError(
                f"lanes: fit takes a share of the board of 1..100 %, got {self.fit_pct}"
            )

    @property
    def is_auto(self) -> bool:
        return self.auto_budget is not None

    @property
    def is_fit(self) -> bool:
        return self.fit_pct is not None

    @classmethod
    def parse(cls, value: LanesPolicy | int | str | Mapping[str, int] | None) -> LanesPolicy:
        """A policy from a number, ``"N"``, ``"auto[B]"``, ``"L1=N,L2=M"``, a mapping or None (1 lane)."""
        if isinstance(value, LanesPolicy):
            return value
        if value is None:
            return cls(every=1)
        if isinstance(value, bool):
            raise BackendError(
                f"lanes: expected a number, LAYER=N pairs, auto[BUDGET] or fit[PCT], got {value!r}"
            )
        if isinstance(value, int):
            return cls(every=value)
        if isinstance(value, Mapping):
            pairs = []
            for k, v in value.items():
                if isinstance(v, bool) or not isinstance(v, int):
                    raise BackendError(f"layer {k!r}: lanes must be an integer, got {v!r}")
                pairs.append((str(k), int(v)))
            return cls(per_layer=tuple(pairs))
        if isinstance(value, str):
            return cls._parse_text(value)
        raise BackendError(
            f"lanes: expected a number, LAYER=N pairs, auto[BUDGET] or fit[PCT], got {value!r}"
        )

    @classmethod
    def _parse_text(cls, spec: str) -> LanesPolicy:
        text = spec.strip()
        low = text.lower()
        for prefix, field_name, default, what in (
            ("fit", "fit_pct", DEFAULT_FIT_PCT, "a share of the board in %"),
            ("auto", "auto_budget", DEFAULT_AUTO_BUDGET, "a lane budget"),
        ):
            if low.startswith(prefix):
                try:
                    number = int(low[len(prefix) :] or default)
                except ValueError:
                    raise BackendError(
                        f"lanes: expected {prefix} followed by {what}, got {spec!r}"
                    ) from None
                return cls(**{field_name: number})
        if "=" not in text:
            try:
                return cls(every=int(text))
            except ValueError:
                raise BackendError(
                    f"lanes: expected a number, LAYER=N pairs, auto[BUDGET] or fit[PCT], got {spec!r}"
                ) from None
        pairs = []
        for pair in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = pair.partition("=")
            if not sep or not name:
                raise BackendError(f"lanes: expected LAYER=N, got {pair!r}")
            try:
                pairs.append((name.strip(), int(value)))
            except ValueError:
                raise BackendError(
                    f"lanes: layer {name!r}: expected an integer, got {value!r}"
                ) from None
        return cls(per_layer=tuple(pairs))

    def describe(self) -> str:
        if self.auto_budget is not None:
            return f"auto{self.auto_budget}"
        if self.fit_pct is not None:
            return f"fit{self.fit_pct}"
        if self.per_layer:
            return ",".join(f"{k}={v}" for k, v in self.per_layer)
        return str(self.every)


@dataclass(frozen=True)
class HwConfig:
    """Everything besides the network that decides the machine.

    ``taps``: parallel taps of the convolutions: ``"all"`` (every tap of an input event updates in the
    same cycle; membranes banked by output position), 1 (one tap per cycle), or ``"auto"`` (default:
    every tap in parallel on the convolutions that would otherwise be the slowest layer, one tap per
    cycle elsewhere, :func:`fpgasnn.hw.auto.busiest_convolution`); a per-layer mapping overrides it.

    ``write_register``: the Verilog core registers a scatter's sum before writing it to the target
    memory (the block RAM's write data comes from a flip-flop, and the register after its read port
    can fold into the block RAM), for one more cycle per scatter pass and a 4:1 forwarding
    multiplexer per membrane bit instead of 3:1; and each stage registers its consumer's pass count
    before its update waits on it (a cycle more where it waits). The read-add-write loop is the MNIST core's
    critical path on ECP5 (``fpgasnn pnr``); on Xilinx parts the 3:1 multiplexer shares the adder's
    LUT6 and the 4:1 does not, so it stays off there."""

    lanes: LanesPolicy = field(default_factory=LanesPolicy)
    taps: str | int = "auto"
    taps_per_layer: tuple[tuple[str, str | int], ...] = ()
    clock_mhz: float | None = None
    write_register: bool = False

    @classmethod
    def make(
        cls,
        lanes=None,
        taps: str | int | Mapping[str, str | int] = "auto",
        clock_mhz: float | None = None,
        write_register: bool = False,
    ) -> HwConfig:
        """A configuration from loose values (a lanes policy in any form :meth:`LanesPolicy.parse`
        takes; taps "auto", "all", 1 or a per-layer mapping); an HwConfig given as ``lanes`` is
        returned as is."""
        if isinstance(lanes, HwConfig):
            return lanes
        per: tuple[tuple[str, str | int], ...] = ()
        if isinstance(taps, Mapping):
            per, taps = tuple((str(k), v) for k, v in taps.items()), "auto"
        return cls(LanesPolicy.parse(lanes), taps, per, clock_mhz, bool(write_register))


__all__ = ["DEFAULT_AUTO_BUDGET", "DEFAULT_FIT_PCT", "HwConfig", "LanesPolicy"]
