"""Every test in this folder is in the integration tier (``pytest -m integration``): whole
scripts, notebooks in a kernel, the wheel, subprocesses on forced host devices, the CLI end to
end, headless Chromium and the documentation's snippets."""

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)
