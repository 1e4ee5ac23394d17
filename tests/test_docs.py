"""The documentation builds with Sphinx without a single warning."""

import subprocess
import sys
from pathlib import Path

import pytest

import skvitalroute
import skvitalroute.callbacks
import skvitalroute.compare
import skvitalroute.nn
import skvitalroute.probe
import skvitalroute.routing

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _api_pages():
    """The API page each public name should have (``generated/<name>.html``)."""
    pages = {f"skvitalroute.{n}" for n in skvitalroute.__all__ if n != "__version__"}
    for module in (
        skvitalroute.callbacks,
        skvitalroute.compare,
        skvitalroute.nn,
        skvitalroute.probe,
        skvitalroute.routing,
    ):
        for name in module.__all__:
            if name in skvitalroute.__all__:
                pages.add(f"skvitalroute.{name}")  # documented at the top level
            else:
                pages.add(f"{module.__name__}.{name}")
    return pages


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    """Check that ``make docs`` (sphinx-build -W) passes and covers the API."""
    for name in ("sphinx", "myst_parser", "numpydoc"):
        pytest.importorskip(name)
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
        + [str(DOCS), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    missing = sorted(
        p for p in _api_pages() if not (out / f"generated/{p}.html").exists()
    )
    assert missing == []
