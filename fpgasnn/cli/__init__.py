"""The ``fpgasnn`` command line. Each subcommand lives in its own module with ``register(subparsers)``;
importing this package must stay cheap (no TensorFlow: Keras-using commands import it inside ``run``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback

from fpgasnn import __version__
from fpgasnn.errors import FpgasnnError

# One module per subcommand, in the order --help lists them.
COMMAND_MODULES = [
    "fpgasnn.cli.demo_cmd",
    "fpgasnn.cli.train_cmd",
    "fpgasnn.cli.convert_cmd",
    "fpgasnn.cli.evaluate_cmd",
    "fpgasnn.cli.inspect_cmd",
    "fpgasnn.cli.simulate_cmd",
    "fpgasnn.cli.build_cmd",
    "fpgasnn.cli.csim_cmd",
    "fpgasnn.cli.rtlsim_cmd",
    "fpgasnn.cli.synth_cmd",
    "fpgasnn.cli.pnr_cmd",
    "fpgasnn.cli.report_cmd",
    "fpgasnn.cli.sweep_cmd",
]


REPORT_BUG = (
    "fpgasnn {cmd}: internal error (a bug in fpgasnn, not in your input); please report "
    "it with the command line and the traceback above"
)


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line, ``fpgasnn CMD: error: ...`` (exit status 2),
    with the usage left to ``--help``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fpgasnn",
        description="Quantized ANN -> ultra-low-latency integer SNN -> FPGA IP core, verified bit-exactly.",
    )
    parser.add_argument("--version", action="version", version=f"fpgasnn {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )
    for mod in COMMAND_MODULES:
        importlib.import_module(mod).register(sub)
    return parser


def _log_handler(verbose: bool) -> None:
    """Log records of level WARNING (INFO with -v) and up go to stderr; libraries that set their own
    loggers to INFO (cocotb's runner) are held to that level too."""
    level = logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])  # a no-op where logging is configured


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; the exit status: 0 success, 1 a check failed (mismatch), 2 a usage or
    input mistake (one line on stderr), 3 a bug (traceback and a request to report it), 130
    interrupted."""
    # the CLI owns this process: TensorFlow (a few commands load it) keeps its start-up lines quiet
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a one-line usage error
        return e.code if isinstance(e.code, int) else 2
    _log_handler(args.verbose)
    try:
        return int(args.func(args) or 0)
    except FpgasnnError as e:
        print(f"fpgasnn {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `fpgasnn inspect net.snn | head`: the reader has gone, say nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:  # the file system said no: a user's folder, not a bug
        where = f": {e.filename!r}" if e.filename else ""
        print(f"fpgasnn {args.command}: error: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fpgasnn {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 -- anything else is a bug: show it and ask for a report
        traceback.print_exc()
        print(REPORT_BUG.format(cmd=args.command), file=sys.stderr)
        return 3
