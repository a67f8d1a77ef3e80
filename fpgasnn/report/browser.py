"""A real headless browser for checking HTML reports: Chromium from the Debian package ``chromium``.

- :func:`find_chromium` returns the browser's path or raises MissingToolError saying what to install;
- :func:`screenshot` renders a page to a PNG (written whole or not at all);
- :func:`rendered_dom` returns the DOM after the page's load event (its inline scripts have run);
- :func:`image_status` loads the page and reports, for every ``<img>``, whether the browser decoded it.

Every call runs a fresh browser with its own temporary profile (so concurrent calls do not share a profile
lock), no sandbox (needed as root in containers), no GPU, and, unless ``offline=False``, a host resolver that
fails every name: a page that needs the network renders without it, as it would on an air-gapped machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from fpgasnn.errors import ToolError, UsageError
from fpgasnn.toolchain import MissingToolError

CHROMIUM_NAMES = ("chromium", "chromium-browser")
"""Executable names tried on PATH, in order, after the ``FPGASNN_CHROMIUM`` override."""

INSTALL_HINT = (
    "install the Debian package chromium (apt-get install -y chromium, as root or with sudo; "
    "tools/install_system_data.sh does it), or set FPGASNN_CHROMIUM to a Chromium/Chrome binary"
)

DEFAULT_SIZE = (1100, 2600)
DEFAULT_TIMEOUT_S = 90.0
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PROBE_ID = "fpgasnn-image-probe"


def find_chromium() -> str:
    """The Chromium executable: ``$FPGASNN_CHROMIUM`` if set, else the first of CHROMIUM_NAMES on PATH."""
    override = os.environ.get("FPGASNN_CHROMIUM")
    if override:
        p = shutil.which(override)
        if p is None:
            raise MissingToolError(
                f"FPGASNN_CHROMIUM={override!r} is not an executable file; {INSTALL_HINT}"
            )
        return p
    for name in CHROMIUM_NAMES:
        p = shutil.which(name)
        if p is not None:
            return p
    raise MissingToolError(
        f"no headless browser found (tried {', '.join(CHROMIUM_NAMES)}): {INSTALL_HINT}"
    )


def _page_url(html: str | Path) -> str:
    p = Path(html)
    if not p.is_file():
        raise UsageError(f"HTML page {str(p)!r} does not exist or is not a file")
    return p.resolve().as_uri()


def _run(args: list[str], *, what: str, offline: bool, timeout: float) -> str:
    """Run Chromium headless with ``args`` appended; return its stdout."""
    with tempfile.TemporaryDirectory(prefix="fpgasnn-chromium-") as profile:
        argv = [
            find_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--mute-audio",
            f"--user-data-dir={profile}",
            # let timers and load events settle without waiting in real time
            "--virtual-time-budget=5000",
        ]
        if offline:
            argv.append("--host-resolver-rules=MAP * ~NOTFOUND")
        argv += args
        env = dict(os.environ)
        env.setdefault("HOME", profile)
        try:
            proc = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=env,
            )
        except FileNotFoundError:
            raise MissingToolError(f"{argv[0]} not found: {INSTALL_HINT}") from None
        except subprocess.TimeoutExpired as e:
            err = e.stderr or ""
            out = err.decode(errors="replace") if isinstance(err, bytes) else err
            raise ToolError(argv, -1, out + f"\n(timed out after {timeout:.0f} s)", what) from None
        if proc.returncode != 0:
            raise ToolError(argv, proc.returncode, proc.stdout + proc.stderr, what)
        return proc.stdout


def screenshot(
    html: str | Path,
    png: str | Path,
    size: tuple[int, int] = DEFAULT_SIZE,
    *,
    offline: bool = True,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Render ``html`` in a ``size`` = (width, height) pixel window and write the view to ``png``.

    The PNG is written to a temporary file beside ``png`` and renamed, so ``png`` is either the whole new
    screenshot or untouched. Returns ``png`` as a Path."""
    w, h = (int(size[0]), int(size[1]))
    if w <= 0 or h <= 0:
        raise UsageError(f"screenshot size must be two positive pixel counts, got {size!r}")
    url = _page_url(html)
    out = Path(png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".png", dir=out.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()  # Chromium writes the file itself; an empty placeholder would hide a failure
        _run(
            [f"--screenshot={tmp_path}", f"--window-size={w},{h}", url],
            what=f"screenshot of {html}",
            offline=offline,
            timeout=timeout,
        )
        if not tmp_path.is_file() or tmp_path.read_bytes()[:8] != _PNG_MAGIC:
            raise ToolError(
                [find_chromium(), f"--screenshot={tmp_path}", url],
                0,
                "the browser exited 0 but wrote no PNG",
                f"screenshot of {html}",
            )
        os.replace(tmp_path, out)
    finally:
        tmp_path.unlink(missing_ok=True)
    return out


def rendered_dom(
    html: str | Path, *, offline: bool = True, timeout: float = DEFAULT_TIMEOUT_S
) -> str:
    """The page's DOM as HTML text after it loaded and its scripts ran (Chromium ``--dump-dom``)."""
    url = _page_url(html)
    out = _run(["--dump-dom", url], what=f"rendering {html}", offline=offline, timeout=timeout)
    if "<html" not in out.lower():
        raise ToolError(
            [find_chromium(), "--dump-dom", url], 0, out[-2000:], f"rendering {html}: no DOM"
        )
    return out


_PROBE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<iframe id="page" src="{url}" style="width:1100px;height:800px"></iframe>
<pre id="{probe}"></pre>
<script>
document.getElementById("page").addEventListener("load", function () {{
  var out = document.getElementById("{probe}");
  try {{
    var imgs = this.contentDocument.images;
    var rows = [];
    for (var i = 0; i < imgs.length; i++) {{
      var im = imgs[i];
      rows.push({{src: im.getAttribute("src") || "", alt: im.getAttribute("alt") || "",
                 complete: im.complete, width: im.naturalWidth, height: im.naturalHeight}});
    }}
    out.textContent = JSON.stringify({{ok: true, images: rows}});
  }} catch (e) {{
    out.textContent = JSON.stringify({{ok: false, error: String(e)}});
  }}
}});
</script></body></html>
"""


def image_status(
    html: str | Path, *, offline: bool = True, timeout: float = DEFAULT_TIMEOUT_S
) -> list[dict]:
    """Load ``html`` in the browser and report every ``<img>`` in document order as
    ``{src, alt, complete, width, height}``; width and height are the decoded (natural) pixel sizes, 0 for
    an image the browser could not load or decode. ``src`` of a data URI is cut to its first 40 characters.

    The page is opened inside a probe page (an iframe, file access allowed between local files), so the
    report itself is neither copied nor changed."""
    url = _page_url(html)
    with tempfile.TemporaryDirectory(prefix="fpgasnn-probe-") as d:
        probe = Path(d) / "probe.html"
        probe.write_text(_PROBE_PAGE.format(url=url, probe=_PROBE_ID), encoding="utf-8")
        dom = _run(
            ["--allow-file-access-from-files", "--dump-dom", probe.as_uri()],
            what=f"probing the images of {html}",
            offline=offline,
            timeout=timeout,
        )
    m = re.search(rf'<pre id="{_PROBE_ID}">(.*?)</pre>', dom, re.S)
    if m is None or not m.group(1).strip():
        raise ToolError(
            [find_chromium(), "--dump-dom", str(probe)],
            0,
            dom[-2000:],
            f"probing the images of {html}: the probe page never saw the report load",
        )
    import html as html_mod

    res = json.loads(html_mod.unescape(m.group(1)))
    if not res.get("ok"):
        raise ToolError(
            [find_chromium(), "--dump-dom", str(probe)],
            0,
            res.get("error", ""),
            f"probing the images of {html}: the probe could not read the report's images",
        )
    rows = res["images"]
    for r in rows:
        if r["src"].startswith("data:"):
            r["src"] = r["src"][:40]
    return rows
