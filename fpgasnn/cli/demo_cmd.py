"""``fpgasnn demo``: the end-to-end demo (grows as the flow lands)."""

from __future__ import annotations

import argparse

import numpy as np

from fpgasnn.cli.inspect_cmd import describe
from fpgasnn.golden import simulate
from fpgasnn.ir import examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo",
                       description="Run the end-to-end demo on a built-in network.")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    net = examples.tiny(seed=args.seed)
    print(describe(net))
    x = np.random.default_rng(args.seed).integers(0, 16, size=(8, *net.input.shape))
    res = simulate(net, x)
    print("golden model on 8 random 4-bit images:")
    for i in range(len(x)):
        print(f"  image {i}: class {int(res.classes[i])}  scores {res.scores[i].tolist()}")
    return 0
