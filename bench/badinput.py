"""Every bad argument and broken file a new user tries: one clear line, no traceback, nothing
touched.

Each case runs ``python -m fpgasnn ...`` in a fresh process inside a workspace of real files (a
tiny ``.snn``, a built project, good and broken ``.npy``/``.snn``/JSON files, a read-only folder)
and records

- ``exit_code``: the command's exit status (2 for every user mistake);
- ``clear_error``: stderr is exactly one line, ``fpgasnn CMD: error: ...``, with no traceback, that
  names the argument, file or layer at fault (``names``) and equals the case's expected first line;
- ``files_intact``: every file of the workspace has the checksum it had before and no file or folder
  appeared (the process's TMPDIR included, so no scratch folder is left behind);
- ``seconds_to_error``: wall-clock time from the start of the process to its exit.

``kind`` is ``argument`` for mistakes found from the command line alone (before any TensorFlow
import or compile), ``file`` for mistakes found by reading a file the user gave. The issue's
acceptance: all ``clear_error`` and ``files_intact`` true, median ``seconds_to_error`` under 2 s
for ``argument``.

When run as root, the commands run as the user ``nobody`` (setpriv) so that the read-only folder is
read-only to them. Writes bench/results/badinput.json.

Run: .venv/bin/python bench/badinput.py [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgasnn.boards import list_boards
from fpgasnn.calibrate import METHODS as _METHODS
from fpgasnn.cli import COMMAND_MODULES

BOARDS = ", ".join(list_boards())
METHODS = ", ".join(("best", *_METHODS))


@dataclass(frozen=True)
class Case:
    case: str
    argv: tuple[str, ...]
    first_line: str
    names: str
    kind: str = "argument"
    root_ok: bool = True
    """False: the case needs a real read-only folder (root may write there anyway)."""


TIMEOUT_S = 60
"""A case still running after this long has started real work (training, compiling): it fails."""


def C(
    case: str,
    argv: str,
    message: str,
    names: str,
    kind: str = "argument",
    root_ok: bool = True,
    usage: bool = False,
) -> Case:
    """A case whose expected stderr is ``fpgasnn CMD: error: MESSAGE`` (``usage``: argparse found it
    and points to ``--help``)."""
    words = tuple(argv.split())
    cmd = words[0] if words and f"fpgasnn.cli.{words[0]}_cmd" in COMMAND_MODULES else ""
    prog = f"fpgasnn {cmd}" if cmd else "fpgasnn"
    hint = f" (see `{prog} --help`)" if usage else ""
    return Case(case, words, f"{prog}: error: {message}{hint}", names, kind, root_ok)


CASES: list[Case] = [
    # the command line itself
    C("no_command", "", "the following arguments are required: COMMAND", "COMMAND", usage=True),
    C(
        "unknown_command",
        "simulat t.snn x.npy",
        "argument COMMAND: invalid choice: 'simulat' (choose from "
        + ", ".join(repr(m.rsplit(".", 1)[1].removesuffix("_cmd")) for m in COMMAND_MODULES)
        + ")",
        "simulat",
        usage=True,
    ),
    # inspect
    C(
        "inspect_missing",
        "inspect nothere.snn",
        "argument net: no such file: 'nothere.snn'",
        "nothere.snn",
        usage=True,
    ),
    C(
        "inspect_folder",
        "inspect prj",
        "argument net: 'prj' is a folder, expected a file",
        "prj",
        usage=True,
    ),
    C(
        "inspect_garbage",
        "inspect garbage.snn",
        "garbage.snn: not an fpgasnn .snn file (not a zip archive; truncated or foreign file)",
        "garbage.snn",
        kind="file",
    ),
    C(
        "inspect_wake_abc",
        "inspect wake.snn",
        "wake.snn: malformed network (ValueError: invalid literal for int() with base 10: 'abc')",
        "wake.snn",
        kind="file",
    ),
    # simulate
    C(
        "simulate_missing_net",
        "simulate nothere.snn x.npy",
        "argument net: no such file: 'nothere.snn'",
        "nothere.snn",
        usage=True,
    ),
    C(
        "simulate_missing_inputs",
        "simulate t.snn nothere.npy",
        "argument inputs: no such file: 'nothere.npy'",
        "nothere.npy",
        usage=True,
    ),
    C(
        "simulate_inputs_shape",
        "simulate t.snn x_shape.npy",
        "inputs 'x_shape.npy': input layer 'input' expects images of shape (N, 1, 8, 8), got (2, 28, "
        "28)",
        "x_shape.npy",
        kind="file",
    ),
    C(
        "simulate_inputs_float",
        "simulate t.snn x_float.npy",
        "inputs 'x_float.npy': input layer 'input' expects integer pixels (4-bit), got dtype float32",
        "x_float.npy",
        kind="file",
    ),
    C(
        "simulate_inputs_range",
        "simulate t.snn x_range.npy",
        "inputs 'x_range.npy': input layer 'input': pixels must lie in [0, 15], got [0, 16]",
        "x_range.npy",
        kind="file",
    ),
    C(
        "simulate_inputs_empty",
        "simulate t.snn x_empty.npy",
        "inputs 'x_empty.npy': holds no images (shape (0, 1, 8, 8))",
        "x_empty.npy",
        kind="file",
    ),
    C(
        "simulate_inputs_not_npy",
        "simulate t.snn x_bad.npy",
        "inputs 'x_bad.npy': not a .npy file (no NumPy array header)",
        "x_bad.npy",
        kind="file",
    ),
    C(
        "simulate_labels_not_npy",
        "simulate t.snn x.npy --labels existing.txt",
        "--labels 'existing.txt': not a .npy file (no NumPy array header)",
        "existing.txt",
        kind="file",
    ),
    C(
        "simulate_labels_float",
        "simulate t.snn x.npy --labels y_float.npy",
        "--labels 'y_float.npy': expected integer class labels, got dtype float64",
        "y_float.npy",
        kind="file",
    ),
    C(
        "simulate_labels_count",
        "simulate t.snn x.npy --labels y_short.npy",
        "--labels 'y_short.npy': 2 labels for 3 images",
        "y_short.npy",
        kind="file",
    ),
    C(
        "simulate_labels_range",
        "simulate t.snn x.npy --labels y_range.npy",
        "--labels 'y_range.npy': labels must lie in [0, 9], got [0, 99]",
        "y_range.npy",
        kind="file",
    ),
    C(
        "simulate_out_missing_dir",
        "simulate t.snn x.npy --out missing_dir/x.npz",
        "argument --out: folder '{ws}/missing_dir' of 'missing_dir/x.npz' does not exist",
        "missing_dir",
        usage=True,
    ),
    C(
        "simulate_out_folder",
        "simulate t.snn x.npy --out plain.npz",
        "argument --out: 'plain.npz' is a folder, expected a file name",
        "plain.npz",
        usage=True,
    ),
    C(
        "simulate_out_suffix",
        "simulate t.snn x.npy --out existing.txt",
        "argument --out: expected a .npz file name, got 'existing.txt'",
        "existing.txt",
        usage=True,
    ),
    C(
        "simulate_out_readonly",
        "simulate t.snn x.npy --out ro/x.npz",
        "argument --out: folder '{ws}/ro' of 'ro/x.npz' is not writable",
        "ro",
        usage=True,
        root_ok=False,
    ),
    # build
    C(
        "build_missing_net",
        "build nothere.snn -o new",
        "argument net: no such file: 'nothere.snn'",
        "nothere.snn",
        usage=True,
    ),
    C(
        "build_net_folder",
        "build prj -o new",
        "argument net: 'prj' is a folder, expected a file",
        "prj",
        usage=True,
    ),
    C(
        "build_garbage_net",
        "build garbage.snn -o new",
        "garbage.snn: not an fpgasnn .snn file (not a zip archive; truncated or foreign file)",
        "garbage.snn",
        kind="file",
    ),
    C(
        "build_unknown_board",
        "build t.snn -o new --board pynq-z3",
        "argument --board: unknown board 'pynq-z3'; known boards: " + BOARDS,
        "pynq-z3",
        usage=True,
    ),
    C(
        "build_output_is_file",
        "build t.snn -o existing.txt",
        "argument -o/--output: 'existing.txt' exists and is not a folder",
        "existing.txt",
        usage=True,
    ),
    C(
        "build_output_missing_parent",
        "build t.snn -o missing_dir/prj",
        "argument -o/--output: folder '{ws}/missing_dir' of 'missing_dir/prj' does not exist",
        "missing_dir",
        usage=True,
    ),
    C(
        "build_output_not_empty",
        "build t.snn -o plain.npz",
        "-o 'plain.npz': folder is not empty; use --force to replace it",
        "plain.npz",
    ),
    C(
        "build_project_no_force",
        "build t.snn -o prj",
        "-o 'prj': folder is not empty; use --force to replace it",
        "prj",
    ),
    C(
        "build_force_non_project",
        "build t.snn -o plain.npz --force",
        "-o 'plain.npz': not an fpgasnn project folder (no project.json); --force replaces only a "
        "project folder: choose a new or empty folder",
        "plain.npz",
    ),
    C(
        "build_force_current_folder",
        "build t.snn -o . --force",
        "-o '.': not an fpgasnn project folder (no project.json); --force replaces only a project "
        "folder: choose a new or empty folder",
        "'.'",
    ),
    C(
        "build_readonly_parent",
        "build t.snn -o ro/new",
        "argument -o/--output: folder '{ws}/ro' of 'ro/new' is not writable",
        "ro/new",
        usage=True,
        root_ok=False,
    ),
    C(
        "build_force_readonly_parent",
        "build t.snn -o ro/prj --force",
        "-o 'ro/prj': its folder '{ws}/ro' is not writable (--force builds the new project beside "
        "the old one)",
        "ro/prj",
        root_ok=False,
    ),
    C(
        "build_lanes_text",
        "build t.snn -o new --lanes many",
        "--lanes: expected a number or LAYER=N pairs, got 'many'",
        "many",
    ),
    C(
        "build_lanes_pair_value",
        "build t.snn -o new --lanes conv1=x",
        "--lanes: layer 'conv1': expected an integer, got 'x'",
        "conv1",
    ),
    C(
        "build_lanes_unknown_layer",
        "build t.snn -o new --lanes conv9=3",
        "lanes given for unknown layers ['conv9']; the synapse layers are ['conv1', 'fc']",
        "conv9",
        kind="file",
    ),
    C("build_lanes_zero", "build t.snn -o new --lanes 0", "lanes must be >= 1, got 0", "0"),
    # csim
    C(
        "csim_missing_project",
        "csim nothere",
        "argument project: no such project folder: 'nothere'",
        "nothere",
        usage=True,
    ),
    C(
        "csim_project_is_file",
        "csim t.snn",
        "argument project: 't.snn' is not a folder; give a project folder written by `fpgasnn build`",
        "t.snn",
        usage=True,
    ),
    C(
        "csim_not_a_project",
        "csim plain.npz",
        "argument project: 'plain.npz' is not an fpgasnn project (no project.json); run `fpgasnn "
        "build` first",
        "plain.npz",
        usage=True,
    ),
    C(
        "csim_n_zero",
        "csim prj -n 0",
        "argument -n/--images: expected an integer in [1, 1000000], got '0'",
        "-n",
        usage=True,
    ),
    C(
        "csim_n_negative",
        "csim prj -n -5",
        "argument -n/--images: expected an integer in [1, 1000000], got '-5'",
        "-5",
        usage=True,
    ),
    C(
        "csim_n_text",
        "csim prj -n ten",
        "argument -n/--images: expected an integer in [1, 1000000], got 'ten'",
        "ten",
        usage=True,
    ),
    C(
        "csim_threads_zero",
        "csim prj -j 0",
        "argument -j/--threads: expected an integer in [1, 256], got '0'",
        "-j",
        usage=True,
    ),
    C(
        "csim_seed_negative",
        "csim prj --seed -1",
        "argument --seed: expected an integer >= 0, got '-1'",
        "--seed",
        usage=True,
    ),
    C(
        "csim_n_and_inputs",
        "csim prj -n 3 --inputs x.npy",
        "argument --inputs: not allowed with argument -n/--images",
        "--inputs",
        usage=True,
    ),
    C(
        "csim_inputs_missing",
        "csim prj --inputs nothere.npy",
        "argument --inputs: no such file: 'nothere.npy'",
        "nothere.npy",
        usage=True,
    ),
    C(
        "csim_inputs_shape",
        "csim prj --inputs x_shape.npy",
        "--inputs 'x_shape.npy': input layer 'input' expects images of shape (N, 1, 8, 8), got (2, "
        "28, 28)",
        "x_shape.npy",
        kind="file",
    ),
    C(
        "csim_inputs_float",
        "csim prj --inputs x_float.npy",
        "--inputs 'x_float.npy': input layer 'input' expects integer pixels (4-bit), got dtype "
        "float32",
        "x_float.npy",
        kind="file",
    ),
    C(
        "csim_inputs_empty",
        "csim prj --inputs x_empty.npy",
        "--inputs 'x_empty.npy': holds no images (shape (0, 1, 8, 8))",
        "x_empty.npy",
        kind="file",
    ),
    C(
        "csim_inputs_range",
        "csim prj --inputs x_range.npy",
        "--inputs 'x_range.npy': input layer 'input': pixels must lie in [0, 15], got [0, 16]",
        "x_range.npy",
        kind="file",
    ),
    C(
        "csim_project_bad_json",
        "csim badprj",
        "badprj/project.json: not valid JSON (Expecting value: line 1 column 1 (char 0))",
        "project.json",
        kind="file",
    ),
    # rtlsim
    C(
        "rtlsim_missing_project",
        "rtlsim nothere",
        "argument project: no such file or folder: 'nothere'",
        "nothere",
        usage=True,
    ),
    C(
        "rtlsim_not_a_project",
        "rtlsim plain.npz",
        "'plain.npz' is not an fpgasnn project (no project.json); run `fpgasnn build` first",
        "plain.npz",
    ),
    C(
        "rtlsim_workdir_is_project",
        "rtlsim prj --workdir prj",
        "--workdir 'prj': must lie outside the project folder 'prj' (a scratch folder there would "
        "mix with its files)",
        "--workdir",
    ),
    C(
        "rtlsim_workdir_in_project",
        "rtlsim prj --workdir prj/sim",
        "--workdir 'prj/sim': must lie outside the project folder 'prj' (a scratch folder there "
        "would mix with its files)",
        "prj/sim",
    ),
    C(
        "rtlsim_workdir_and_keep",
        "rtlsim prj --workdir new --keep-work",
        "--keep-work: a --workdir is always kept; give one or the other",
        "--keep-work",
    ),
    C(
        "rtlsim_workdir_is_file",
        "rtlsim prj --workdir existing.txt",
        "argument --workdir: 'existing.txt' exists and is not a folder",
        "existing.txt",
        usage=True,
    ),
    C(
        "rtlsim_workdir_readonly",
        "rtlsim prj --workdir ro/w",
        "argument --workdir: folder '{ws}/ro' of 'ro/w' is not writable",
        "ro/w",
        usage=True,
        root_ok=False,
    ),
    C(
        "rtlsim_n_zero",
        "rtlsim prj -n 0",
        "argument -n/--images: expected an integer in [1, 100000], got '0'",
        "-n",
        usage=True,
    ),
    C(
        "rtlsim_inputs_missing",
        "rtlsim prj --inputs nothere.npy",
        "argument --inputs: no such file: 'nothere.npy'",
        "nothere.npy",
        usage=True,
    ),
    C(
        "rtlsim_inputs_shape",
        "rtlsim prj --inputs x_shape.npy",
        "--inputs 'x_shape.npy': input layer 'input' expects images of shape (N, 1, 8, 8), got (2, "
        "28, 28)",
        "x_shape.npy",
        kind="file",
    ),
    C(
        "rtlsim_lanes_unknown_layer",
        "rtlsim prj --lanes conv9=3",
        "lanes given for unknown layers ['conv9']; the synapse layers are ['conv1', 'fc']",
        "conv9",
        kind="file",
    ),
    C(
        "rtlsim_garbage_net",
        "rtlsim garbage.snn",
        "garbage.snn: not an fpgasnn .snn file (not a zip archive; truncated or foreign file)",
        "garbage.snn",
        kind="file",
    ),
    # synth
    C(
        "synth_missing",
        "synth nothere",
        "argument project: no such file or folder: 'nothere'",
        "nothere",
        usage=True,
    ),
    C(
        "synth_not_a_project",
        "synth plain.npz",
        "project 'plain.npz': not an fpgasnn project (no project.json); give a project folder "
        "written by `fpgasnn build` or a .snn file",
        "plain.npz",
    ),
    C(
        "synth_project_with_lanes",
        "synth prj --lanes 4",
        "project 'prj': a project is synthesised with its own lanes and board in its report/ folder; "
        "--lanes, --board, --workdir and --keep-work are for a .snn file (rebuild with `fpgasnn "
        "build` to change them)",
        "--lanes",
    ),
    C(
        "synth_unknown_board",
        "synth t.snn --board zedboard",
        "argument --board: unknown board 'zedboard'; known boards: " + BOARDS,
        "zedboard",
        usage=True,
    ),
    C(
        "synth_workdir_and_keep",
        "synth t.snn --workdir new --keep-work",
        "--keep-work: a --workdir is always kept; give one or the other",
        "--keep-work",
    ),
    C(
        "synth_workdir_in_project",
        "synth prj/network.snn --workdir prj/w",
        "--workdir 'prj/w': must lie outside the project folder 'prj' (a scratch folder there would "
        "mix with its files)",
        "prj/w",
    ),
    # report
    C(
        "report_n_zero",
        "report prj -n 0",
        "argument -n/--images: expected an integer >= 1, got '0'",
        "-n",
        usage=True,
    ),
    C(
        "report_n_negative",
        "report prj -n -5",
        "argument -n/--images: expected an integer >= 1, got '-5'",
        "-5",
        usage=True,
    ),
    C(
        "report_cycle_images_zero",
        "report prj --cycle-images 0",
        "argument --cycle-images: expected an integer in [1, 100000], got '0'",
        "--cycle-images",
        usage=True,
    ),
    C(
        "report_unknown_dataset",
        "report prj --dataset cifar10",
        "argument --dataset: invalid choice: 'cifar10' (choose from 'digits', 'fashion_mnist', "
        "'mnist')",
        "cifar10",
        usage=True,
    ),
    C(
        "report_missing_project",
        "report nothere",
        "argument project: no such project folder: 'nothere'",
        "nothere",
        usage=True,
    ),
    C(
        "report_accuracy_json_missing",
        "report prj --accuracy-json nothere.json",
        "argument --accuracy-json: no such file: 'nothere.json'",
        "nothere.json",
        usage=True,
    ),
    C(
        "report_accuracy_json_garbage",
        "report prj --accuracy-json existing.txt",
        "--accuracy-json 'existing.txt': cannot read accuracy records: Expecting value: line 1 "
        "column 1 (char 0)",
        "existing.txt",
        kind="file",
    ),
    C(
        "report_accuracy_json_object",
        "report prj --accuracy-json acc_obj.json",
        "--accuracy-json 'acc_obj.json': expected a JSON list of records",
        "acc_obj.json",
        kind="file",
    ),
    C(
        "report_out_is_file",
        "report prj -o existing.txt",
        "argument -o/--out: 'existing.txt' exists and is not a folder",
        "existing.txt",
        usage=True,
    ),
    # convert / evaluate (their checks: issue 13; here to hold them to the same line)
    C(
        "convert_T_too_large",
        "convert m.h5 -o x.snn -T 1000",
        "argument -T/--steps: expected an integer in [1, 64], got '1000'",
        "1000",
        usage=True,
    ),
    C(
        "convert_res_bits_negative",
        "convert m.h5 -o x.snn --res-target-bits -3",
        "argument --res-target-bits: expected an integer in [0, 24], got '-3'",
        "--res-target-bits",
        usage=True,
    ),
    C(
        "convert_output_txt",
        "convert m.h5 -o existing.txt",
        "argument -o/--output: expected a .snn file name, got 'existing.txt'",
        "existing.txt",
        usage=True,
    ),
    C(
        "convert_output_missing_dir",
        "convert m.h5 -o missing_dir/x.snn",
        "argument -o/--output: folder '{ws}/missing_dir' of 'missing_dir/x.snn' does not exist",
        "missing_dir",
        usage=True,
    ),
    C(
        "convert_output_folder",
        "convert m.h5 -o prj",
        "argument -o/--output: expected a .snn file name, got 'prj'",
        "prj",
        usage=True,
    ),
    C(
        "convert_calib_negative",
        "convert m.h5 -o x.snn --calib-images -5",
        "argument --calib-images: expected an integer in [1, 1000000], got '-5'",
        "--calib-images",
        usage=True,
    ),
    C(
        "convert_unknown_method",
        "convert m.h5 -o x.snn --method fastest",
        "argument --method: unknown conversion method 'fastest'; known: " + METHODS,
        "fastest",
        usage=True,
    ),
    C(
        "convert_weight_bits_zero",
        "convert m.h5 -o x.snn --weight-bits 0",
        "argument --weight-bits: expected an integer in [2, 16], got '0'",
        "--weight-bits",
        usage=True,
    ),
    C(
        "convert_missing_model",
        "convert nothere.h5 -o x.snn",
        "argument model: no such file or folder: 'nothere.h5'",
        "nothere.h5",
        usage=True,
    ),
    C(
        "convert_not_a_model",
        "convert m.h5 -o x.snn",
        "'m.h5' is not a readable Keras model file: OSError: Unable to synchronously open file (file "
        "signature not found)",
        "m.h5",
        kind="file",
    ),
    C(
        "evaluate_T_zero",
        "evaluate m.h5 -T 0",
        "argument -T/--steps: expected step counts in [1, 64], got '0'",
        "-T",
        usage=True,
    ),
    C(
        "evaluate_T_text",
        "evaluate m.h5 -T 1,x",
        "argument -T/--steps: expected comma-separated step counts, got '1,x'",
        "1,x",
        usage=True,
    ),
    # demo (everything checked before the model is trained or loaded)
    C(
        "demo_T_zero",
        "demo -T 0",
        "argument -T/--steps: expected an integer in [1, 64], got '0'",
        "-T",
        usage=True,
    ),
    C(
        "demo_unknown_method",
        "demo --method fastest",
        "argument --method: unknown conversion method 'fastest'; known: " + METHODS,
        "fastest",
        usage=True,
    ),
    C(
        "demo_unknown_board",
        "demo --board pynq",
        "argument --board: unknown board 'pynq'; known boards: " + BOARDS,
        "pynq",
        usage=True,
    ),
    C(
        "demo_unknown_dataset",
        "demo --dataset svhn",
        "argument --dataset: invalid choice: 'svhn' (choose from 'digits', 'fashion_mnist', 'mnist')",
        "svhn",
        usage=True,
    ),
    C(
        "demo_csim_images_zero",
        "demo --csim-images 0",
        "argument --csim-images: expected an integer in [1, 10000], got '0'",
        "--csim-images",
        usage=True,
    ),
    C("demo_lanes_zero", "demo --lanes 0", "lanes must be >= 1, got 0", "lanes"),
    C(
        "demo_lanes_text",
        "demo --lanes auto-x",
        "lanes: expected auto followed by a lane budget, got 'auto-x'",
        "auto-x",
    ),
    C(
        "demo_missing_model",
        "demo --model nothere.h5",
        "argument --model: no such file: 'nothere.h5'",
        "nothere.h5",
        usage=True,
    ),
    C(
        "demo_sparsity_negative",
        "demo --sparsity -0.5",
        "argument --sparsity: expected a number >= 0, got '-0.5'",
        "--sparsity",
        usage=True,
    ),
    C(
        "demo_sparsity_with_model",
        "demo --model existing.txt --sparsity 0.1",
        "--sparsity sets how the reference model is trained; not with --model",
        "--sparsity",
    ),
    C(
        "train_sparsity_nan",
        "train -o m.h5 --sparsity nan",
        "argument --sparsity: expected a number >= 0, got 'nan'",
        "--sparsity",
        usage=True,
    ),
    C(
        "demo_output_is_file",
        "demo -o existing.txt",
        "argument -o/--output: 'existing.txt' exists and is not a folder",
        "existing.txt",
        usage=True,
    ),
]


def _snn_with(doc_edit, base: bytes) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zo:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "network.json":
                doc = json.loads(data)
                doc_edit(doc)
                data = json.dumps(doc).encode()
            zo.writestr(name, data)
    return out.getvalue()


def make_workspace(ws: Path) -> None:
    """The files the cases point at (see the module docstring); ``prj`` and ``ro/prj`` are built
    by ``fpgasnn build``."""
    from fpgasnn.cli import main
    from fpgasnn.ir import examples, save
    from fpgasnn.ir.serialize import dumps

    ws.mkdir(parents=True, exist_ok=True)
    net = examples.tiny()
    save(net, ws / "t.snn")
    (ws / "garbage.snn").write_bytes(b"this is not a network\n")
    (ws / "wake.snn").write_bytes(
        _snn_with(lambda d: d["schedule"].__setitem__("wake", "abc"), dumps(net))
    )
    rng = np.random.default_rng(0)
    np.save(ws / "x.npy", rng.integers(0, 16, size=(3, 1, 8, 8)))
    np.save(ws / "x_shape.npy", np.zeros((2, 28, 28), dtype=np.uint8))
    np.save(ws / "x_float.npy", np.zeros((3, 1, 8, 8), dtype=np.float32))
    np.save(
        ws / "x_range.npy",
        np.concatenate([np.zeros((1, 1, 8, 8)), np.full((1, 1, 8, 8), 16)]).astype(np.int64),
    )
    np.save(ws / "x_empty.npy", np.zeros((0, 1, 8, 8), dtype=np.int64))
    (ws / "x_bad.npy").write_bytes(b"not numpy at all")
    np.save(ws / "y_float.npy", np.array([0.0, 1.0, 2.0]))
    np.save(ws / "y_short.npy", np.array([0, 1]))
    np.save(ws / "y_range.npy", np.array([0, 5, 99]))
    (ws / "acc_obj.json").write_text('{"T": 4}\n')
    (ws / "existing.txt").write_text("keep me\n")
    (ws / "m.h5").write_text("not an HDF5 file\n")
    (ws / "plain.npz").mkdir()
    (ws / "plain.npz" / "notes.txt").write_text("a folder of someone's files\n")
    (ws / "badprj").mkdir()
    (ws / "badprj" / "project.json").write_text("")
    (ws / "ro").mkdir()
    (ws / "ro" / "inside.txt").write_text("read-only folder\n")
    cwd = os.getcwd()
    try:
        os.chdir(ws)
        for out in ("prj", "ro/prj"):
            if main(["build", "t.snn", "-o", out, "--lanes", "2"]) != 0:
                raise SystemExit(f"could not build the workspace's project {out}")
    finally:
        os.chdir(cwd)


def snapshot(root: Path) -> dict[str, str]:
    """{relative path: sha256 (files) or "dir"} of everything under ``root``."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def clear(case: Case, ws: Path, code: int, err: str) -> bool:
    """Exit status 2, one line on stderr, no traceback, naming ``case.names``, as expected."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return (
        code == 2
        and len(lines) == 1
        and "Traceback" not in err
        and case.names in lines[0]
        and lines[0] == case.first_line.replace("{ws}", str(ws))
    )


def _drop_privileges() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SystemExit("running as root needs setpriv to run the cases as nobody")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def run_case(case: Case, ws: Path, tmp: Path, prefix: list[str]) -> dict:
    env = dict(
        os.environ,
        TMPDIR=str(tmp),
        HOME=str(ws.parent / "home"),
        FPGASNN_CACHE=str(ws.parent / "home" / "cache"),
    )
    before = snapshot(ws)
    t0 = time.perf_counter()
    try:
        r = subprocess.run(
            [*prefix, sys.executable, "-m", "fpgasnn", *case.argv],
            cwd=ws,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as e:  # it went on to real work: not an early, clear error
        r = subprocess.CompletedProcess(e.cmd, -1, "", f"timed out after {TIMEOUT_S} s")
    seconds = time.perf_counter() - t0
    intact = snapshot(ws) == before and not any(tmp.iterdir())
    return {
        "case": case.case,
        "command": "fpgasnn " + " ".join(case.argv),
        "kind": case.kind,
        "exit_code": r.returncode,
        "clear_error": clear(case, ws, r.returncode, r.stderr),
        "files_intact": intact,
        "seconds_to_error": round(seconds, 3),
        "first_line": (r.stderr.strip().splitlines() or [""])[0],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="run only the cases whose name contains this")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "badinput.json"))
    args = ap.parse_args()
    prefix = _drop_privileges()
    cases = [c for c in CASES if not args.only or args.only in c.case]
    with tempfile.TemporaryDirectory(prefix="fpgasnn_badinput_") as top:
        top = Path(top)
        ws, tmp = top / "ws", top / "tmp"
        make_workspace(ws)
        tmp.mkdir()
        (top / "home").mkdir()
        if prefix:
            subprocess.run(["chown", "-R", "65534:65534", str(top)], check=True)
            os.chmod(top, 0o755)
        os.chmod(ws / "ro", 0o555)
        records = []
        for case in cases:
            rec = run_case(case, ws, tmp, prefix)
            records.append(rec)
            mark = "ok " if rec["clear_error"] and rec["files_intact"] else "BAD"
            print(
                f"{mark} {rec['seconds_to_error']:6.2f} s  rc={rec['exit_code']}  "
                f"{rec['command']}\n        {rec['first_line']}",
                flush=True,
            )
    arg_s = [r["seconds_to_error"] for r in records if r["kind"] == "argument"]
    bad = [r["case"] for r in records if not (r["clear_error"] and r["files_intact"])]
    median = statistics.median(arg_s) if arg_s else float("nan")
    print(
        f"\n{len(records)} cases; clear and intact: {len(records) - len(bad)}; median "
        f"seconds_to_error (argument mistakes, {len(arg_s)}): {median:.2f} s"
    )
    if bad:
        print("NOT clear or not intact: " + ", ".join(bad))
    if not args.only:
        from fpgasnn.records import write_records

        write_records(
            args.out, [{k: v for k, v in r.items() if k != "first_line"} for r in records]
        )
        print(f"wrote {args.out}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
