"""``import fpgasnn``, the CLI parser and the NumPy-only modules must not import TensorFlow."""

from __future__ import annotations

import subprocess
import sys


def test_cli_and_data_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "import fpgasnn, fpgasnn.cli, fpgasnn.data, fpgasnn.keras, fpgasnn.keras.frontend\n"
        "import fpgasnn.cli.train_cmd\n"
        "fpgasnn.cli.build_parser()\n"
        "fpgasnn.data.load_dataset('digits', 'test')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tf_keras', 'keras', 'qkeras'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from fpgasnn.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('TF' if 'tensorflow' in sys.modules else 'clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "clean"
