"""The documentation's code blocks run, and print what the pages show.

Every ``python`` block of ``README.md`` and ``docs/*.md`` runs in page
order (one namespace per page), and every script of ``examples/``; where a
page shows an output, it is compared with what was printed, numbers within
the block's tolerance (``tests/_docs_blocks.py`` has the markers). Blocks
and examples marked slow run under ``-m slow``. After a change of
behaviour, ``pytest tests/test_docs_blocks.py --update-docs [-m slow]``
writes the new outputs into the pages.
"""

import pytest
from _docs_blocks import (
    EXAMPLES,
    PAGES,
    check_example,
    check_page,
    example_is_slow,
    page_has_slow,
)


def _id(path):
    return path.name


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_docs_page_blocks(page, tmp_path, request):
    """Check a page's quick blocks run and print the outputs it shows."""
    update = request.config.getoption("--update-docs")
    assert check_page(page, tmp_path, update=update) == []


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if page_has_slow(p)], ids=_id)
def test_docs_page_all_blocks(page, tmp_path, request):
    """Check every block of a page with long blocks, in order, and its outputs."""
    update = request.config.getoption("--update-docs")
    assert check_page(page, tmp_path, slow=True, update=update) == []


@pytest.mark.parametrize(
    "example",
    [
        pytest.param(e, marks=[pytest.mark.slow] if example_is_slow(e) else [])
        for e in EXAMPLES
    ],
    ids=_id,
)
def test_example_runs(example, tmp_path, request):
    """Check an example runs and prints what the pages show of it."""
    update = request.config.getoption("--update-docs")
    assert check_example(example, tmp_path, update=update) == []
