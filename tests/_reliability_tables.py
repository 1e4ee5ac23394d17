"""Regenerate the tables of docs/reliability.md from actual runs, in place.

Runs the printers of ``tests/test_bad_input.py`` (the bad-input matrix, the
constructor arguments, class-mode growth, the probe's input) and of
``tests/compare/test_fuzz_cli.py`` (the CLI), then replaces each table of
the page whose header line equals a printed table's header. A printed
table whose header the page lacks is listed, not placed: add its header
where it belongs and run again. Usage, from the repository root::

    .venv/bin/python tests/_reliability_tables.py
"""

import contextlib
import io
import sys
from pathlib import Path

TESTS = Path(__file__).parent
PAGE = TESTS.parent / "docs" / "reliability.md"


def _printed(function):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        function()
    return [t for t in out.getvalue().strip().split("\n\n") if t.startswith("|")]


def _tables():
    sys.path[:0] = [str(TESTS), str(TESTS / "compare")]
    import test_bad_input
    import test_fuzz_cli

    return _printed(test_bad_input._print_tables) + _printed(test_fuzz_cli._print_table)


def replace_tables(text, tables):
    """``text`` with each table replaced by the printed one of the same header.

    Returns the new text and the headers of the tables not placed.
    """
    by_header = {table.split("\n", 1)[0]: table for table in tables}
    lines, out, placed, i = text.split("\n"), [], set(), 0
    while i < len(lines):
        if lines[i] in by_header:
            placed.add(lines[i])
            out += by_header[lines[i]].split("\n")
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out), [h for h in by_header if h not in placed]


if __name__ == "__main__":
    text, missing = replace_tables(PAGE.read_text(), _tables())
    PAGE.write_text(text)
    for header in missing:
        print(f"not placed (no such header in {PAGE.name}): {header}")
