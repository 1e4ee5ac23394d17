"""The documentation builds with Sphinx without a single warning, and the
package's references into it lead somewhere."""

import re
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
PACKAGE = Path(skvitalroute.__file__).parent
# A citation in the code: docs/<page>.md, "<section>" (possibly over lines
# of a comment or docstring).
CITATION = re.compile(r'docs/(\w+\.md),?\s+(?:#\s*)?"([^"]+)"')


def _sections(page):
    """A docs page's headings and bold run-in labels (``**Ctrl-C.**``)."""
    text = (DOCS / page).read_text()
    headings = re.findall(r"^#+\s+(.+?)\s*$", text, re.M)
    labels = re.findall(r"\*\*([^*]+?)\.?\*\*", text)
    return {s.rstrip(".") for s in headings + labels}


def test_every_citation_of_the_docs_names_a_page_and_section():
    """Check each ``docs/<page>.md, "<section>"`` cited by the package names
    an existing page and a heading (or bold label) of it."""
    cited, broken = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        for page, section in CITATION.findall(path.read_text()):
            cited += 1
            section = " ".join(section.split())
            if not (DOCS / page).exists() or section not in _sections(page):
                broken.append(f"{path.relative_to(PACKAGE)}: {page}, {section!r}")
    assert cited > 10
    assert broken == []


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
