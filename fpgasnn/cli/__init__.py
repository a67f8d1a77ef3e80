"""The ``fpgasnn`` command line. Each subcommand lives in its own module with ``register(subparsers)``;
importing this package must stay cheap (no TensorFlow: Keras-using commands import it inside ``run``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

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
    "fpgasnn.cli.report_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fpgasnn",
        description="Quantized ANN -> ultra-low-latency integer SNN -> FPGA IP core, verified bit-exactly.",
    )
    parser.add_argument("--version", action="version", version=f"fpgasnn {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in COMMAND_MODULES:
        importlib.import_module(mod).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except FpgasnnError as e:
        print(f"fpgasnn {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
