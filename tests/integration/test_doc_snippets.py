"""The snippets of docs/from_python.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _snippets() -> list[str]:
    text = (ROOT / "docs" / "from_python.md").read_text()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_doc_has_five_snippets():
    assert len(_snippets()) == 5


def test_the_doc_snippets_run_as_written(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__from_python__"}
    for i, code in enumerate(_snippets(), start=1):
        try:
            exec(compile(code, f"docs/from_python.md, snippet {i}", "exec"), namespace)
        except Exception as err:
            pytest.fail(f"snippet {i} raised {type(err).__name__}: {err}\n\n{code}")
    assert (tmp_path / "results" / "ds" / "summary.json").is_file()
    assert (tmp_path / "results" / "ds_slopes.png").is_file()
    assert len(namespace["trials"]) > 0 and len(namespace["verdicts"]) > 0
