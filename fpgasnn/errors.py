"""The project's exception hierarchy: every error fpgasnn raises on purpose derives from FpgasnnError."""

from __future__ import annotations


class FpgasnnError(Exception):
    """Root of all errors raised by fpgasnn."""


class IRError(FpgasnnError):
    """A network (IR graph) is malformed: wrong shapes, bad attributes, illegal layer order."""


class RangeError(FpgasnnError):
    """A value left the range that range analysis proved, or a width cannot be represented."""


class SerializationError(FpgasnnError):
    """A .snn file is corrupt, truncated, of a foreign format or of an unsupported version."""


class SimulationError(FpgasnnError):
    """Bad input to a simulator (shape, dtype, value range)."""


class FrontendError(FpgasnnError):
    """A source model cannot be converted."""


class UnsupportedLayerError(FrontendError):
    """One or more layers of a source model are not supported; the message lists all of them."""


class DataError(FpgasnnError):
    """A data set is missing or malformed."""


class BackendError(FpgasnnError):
    """A back end cannot emit a project for this network or board."""


class ToolError(FpgasnnError):
    """An external tool (g++, Verilator, Yosys) failed; carries command, exit code and output tail."""

    def __init__(self, command: list[str], returncode: int, output: str, what: str = "") -> None:
        self.command = list(command)
        self.returncode = returncode
        self.output = output
        tail = "\n".join(output.splitlines()[-40:])
        head = f"{what}: " if what else ""
        super().__init__(
            f"{head}command {' '.join(self.command)!r} exited with code {returncode}; "
            f"last lines of its output:\n{tail}"
        )


class UsageError(FpgasnnError):
    """A command-line argument or a path given to a command is wrong (names the argument and value)."""
