"""The HTML report rendered in headless Chromium, and a tiny fresh run through the report command."""

from __future__ import annotations

import html.parser
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from _data import table_cells

from manifold_scaling.cli import main
from manifold_scaling.report import verdict_table
from manifold_scaling.sharing import report
from manifold_scaling.studies.protocol import load_summary

TINY = [
    "--dims", "2", "--sizes", "32", "64", "128", "--seeds", "1", "--ambient-dim", "6",
    "--width", "16", "--steps-per-point", "2", "--min-steps", "200", "--max-steps", "300",
    "--n-test", "256", "--n-val", "64", "--bootstrap", "50", "--no-progress",
]  # fmt: skip


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


class _Cells(html.parser.HTMLParser):
    """The text of every table cell of a page."""

    def __init__(self):
        super().__init__()
        self.cells, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_renders_in_headless_chromium(saved_run, tmp_path):
    if _chromium() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): cannot render HTML")
    _, html_path = report(saved_run)
    shot = tmp_path / "shot.png"
    done = _browser(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", html_path.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (1600, 1200)
    assert pixels.std() > 10.0, "the screenshot is blank"
    dom = _browser(tmp_path, "--dump-dom", html_path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parser = _Cells()
    parser.feed(dom.stdout)
    expected = table_cells(verdict_table(load_summary(saved_run), alpha_name="α_D"))
    missing = [c for c in expected if c not in parser.cells]
    assert not missing, missing[:5]
    assert "<img" in dom.stdout and "data:image/png;base64," in dom.stdout


def test_a_tiny_run_through_the_cli(tmp_path, capsys):
    run, out = tmp_path / "run", tmp_path / "shared"
    assert main(["data-scaling", *TINY, "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["report", str(run), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"Wrote {out / 'report.md'}, {out / 'report.html'}"
    md = (out / "report.md").read_text(encoding="utf-8")
    figures = load_summary(run).figures
    assert figures and all(f"![{name}](../run/{file})" in md for name, file in figures.items())
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == len(figures)
    assert "master seed" in md and "| device_kind |" in md
