"""fpgasnn.report.browser: the headless-Chromium helper (the error paths need no browser)."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from fpgasnn.errors import UsageError
from fpgasnn.report import browser
from fpgasnn.toolchain import MissingToolError


def _png(w: int, h: int) -> bytes:
    """A valid w x h grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x80" * w for _ in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_missing_browser_names_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv("FPGASNN_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError, match=r"apt-get install -y chromium"):
        browser.find_chromium()


def test_override_that_is_not_executable(monkeypatch, tmp_path):
    monkeypatch.setenv("FPGASNN_CHROMIUM", str(tmp_path / "nope"))
    with pytest.raises(MissingToolError, match=r"FPGASNN_CHROMIUM=.*nope.*not an executable"):
        browser.find_chromium()


def test_missing_page_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"HTML page .*absent\.html.* does not exist"):
        browser.rendered_dom(tmp_path / "absent.html")


def test_bad_screenshot_size(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body>x</body></html>")
    with pytest.raises(UsageError, match=r"two positive pixel counts, got \(0, 10\)"):
        browser.screenshot(page, tmp_path / "p.png", (0, 10))


@pytest.mark.tool
def test_dom_images_and_screenshot(require, tmp_path):
    require("chromium")
    (tmp_path / "beside.png").write_bytes(_png(7, 3))
    data = base64.b64encode(_png(5, 4)).decode()
    page = tmp_path / "p.html"
    page.write_text(
        "<!DOCTYPE html><html><body><h1 id='t'>T</h1>"
        f"<img alt='inline' src='data:image/png;base64,{data}'>"
        "<img alt='file' src='beside.png'>"
        "<img alt='broken' src='data:image/png;base64,AAAA'>"
        "<img alt='net' src='https://example.invalid/x.png'>"
        "<script>document.getElementById('t').textContent = 'scripted ' + (2 + 3);</script>"
        "</body></html>"
    )
    dom = browser.rendered_dom(page)
    assert "scripted 5" in dom  # the page's script ran before the DOM was taken
    imgs = browser.image_status(page)
    assert [(i["alt"], i["width"], i["height"]) for i in imgs] == [
        ("inline", 5, 4),
        ("file", 7, 3),
        ("broken", 0, 0),
        ("net", 0, 0),  # offline: no network resource ever loads
    ]
    assert imgs[0]["src"] == f"data:image/png;base64,{data}"[:40]
    shot = tmp_path / "shots" / "p.png"
    assert browser.screenshot(page, shot, (320, 240)) == shot
    head = shot.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (320, 240)
    assert sorted(p.name for p in shot.parent.iterdir()) == ["p.png"]  # no temporary left behind
