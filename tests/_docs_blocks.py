"""Run the documentation's code blocks and compare what they print.

The pages (``README.md``, ``docs/*.md``) are read as a list of fenced
blocks. A block may be preceded (directly, or with one blank line between)
by an HTML comment that tells this runner what to do with it; the comment
does not show in the rendered page::

    <!-- docs-test: slow -->             run only under ``-m slow``
    <!-- docs-test: skip REASON -->      never run (e.g. needs a GPU)
    <!-- docs-test: requires=dask -->    run only when the module imports
    <!-- docs-test: run -->              a ``bash`` block: run it (slow)
    <!-- docs-test: setup
    X, y = ...                           code run first, not shown
    -->
    <!-- docs-test: output tol=0.02 -->  the block is the stdout of the
                                         last block run before it
    <!-- docs-test: output of examples/quickstart.py tol=0.02 -->

Every ``python`` block runs, in page order, in one namespace per page (as a
reader pastes them into one session), with stdout captured; blocks without
an ``output`` block after them must only not fail. A ``run`` bash block is
a script run by bash (``skvitalroute`` and ``python`` are the test's
interpreter) and is always slow. Numbers in an output are compared with
``tol`` (``|a - b| <= tol * max(1, |b|)``; default 0: exact), the text
between them exactly, with runs of spaces collapsed; lines starting with
``$ `` (a shown command) are not compared. ``ignore=REGEX`` (last in the
comment) drops the matching text from both sides first, for wall times.

``pytest tests/test_docs_blocks.py --update-docs`` (add ``-m slow`` for the
long blocks) writes the new outputs into the pages instead of comparing:
the way to re-record after a change of behaviour (docs/architecture.md,
"Docs that run").
"""

import contextlib
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

_FENCE = re.compile(r"^(\s*)(`{3,})\s*([\w{}-]*)")
_MARKER = re.compile(r"<!--\s*docs-test:(.*?)-->", re.S)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclass
class Block:
    """One fenced block of a page.

    Attributes
    ----------
    lang : str
        The fence's language (``python``, ``text``, ``bash``, or empty).
    start, end : int
        Line indices of the first and last content line, 0-based
        (``end < start`` for an empty block).
    code : str
        The block's content, dedented to the fence.
    marker : dict
        The ``docs-test`` options before it (empty without a comment).
    """

    lang: str
    start: int
    end: int
    code: str
    marker: dict = field(default_factory=dict)


def parse_marker(text):
    """The options of a ``docs-test`` comment.

    Returns
    -------
    options : dict
        ``slow``, ``run``, ``output`` -> True; ``skip`` -> the reason;
        ``of`` -> a path (``output of PATH``); ``tol`` -> float;
        ``requires`` -> module name; ``ignore`` -> regex; ``setup`` ->
        code.
    """
    text = text.strip()
    options = {}
    first, _, rest = text.partition("\n")
    if "setup" in first.split():
        options = parse_marker(first.replace("setup", " "))
        options["setup"] = rest
        return options
    if "ignore=" in text:
        text, options["ignore"] = text.split("ignore=", 1)
        options["ignore"] = options["ignore"].strip()
    words = text.split()
    i = 0
    while i < len(words):
        word = words[i]
        if word == "skip":
            options["skip"] = " ".join(words[i + 1 :]) or "skipped"
            break
        if word == "of":
            options["of"] = words[i + 1]
            i += 1
        elif word.startswith("tol="):
            options["tol"] = float(word[4:])
        elif word.startswith("requires="):
            options["requires"] = word[len("requires=") :]
        else:
            options[word] = True
        i += 1
    return options


def parse_page(path):
    """The fenced blocks of a page, each with its ``docs-test`` options."""
    lines = Path(path).read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        start = i + 1
        j = start
        while not lines[j].strip().startswith(fence):
            j += 1
        body = "\n".join(line[len(indent) :] for line in lines[start:j])
        blocks.append(Block(lang, start, j - 1, body, _marker_before(lines, i)))
        i = j + 1
    return blocks


def _marker_before(lines, fence):
    """The ``docs-test`` comment ending on the line before the fence (one
    blank line between allowed)."""
    k = fence - 1
    if k >= 0 and not lines[k].strip():
        k -= 1
    if k < 0 or not lines[k].rstrip().endswith("-->"):
        return {}
    text = lines[k]
    while "<!--" not in text and k > 0:
        k -= 1
        text = lines[k] + "\n" + text
    m = _MARKER.search(text)
    return parse_marker(m.group(1)) if m else {}


# ------------------------------------------------------------------- comparing
def _normal(text, ignore=None):
    if ignore:
        text = re.sub(ignore, "", text, flags=re.M)
    out = []
    for line in text.strip("\n").splitlines():
        if line.startswith("$ "):
            continue
        out.append(" ".join(line.split()))
    while out and not out[-1]:
        out.pop()
    return out


def _close(a, b, tol):
    x, y = float(a), float(b)
    return abs(x - y) <= tol * max(1.0, abs(y))


def mismatch(shown, printed, *, tol=0.0, ignore=None):
    """The first difference between a shown and a printed output, or None.

    Text must agree exactly (runs of spaces collapsed), numbers within
    ``tol`` (relative above 1, absolute below).

    Examples
    --------
    >>> mismatch("acc 0.95 ± 0.01", "acc  0.951 ± 0.01", tol=0.01) is None
    True
    >>> mismatch("route: inv_freq", "route: logit_adjusted")
    "line 1: shown 'route: inv_freq', printed 'route: logit_adjusted'"
    """
    a, b = _normal(shown, ignore), _normal(printed, ignore)
    for n, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if _NUMBER.split(x) != _NUMBER.split(y) or not all(
            _close(p, q, tol)
            for p, q in zip(_NUMBER.findall(y), _NUMBER.findall(x), strict=True)
        ):
            return f"line {n}: shown {x!r}, printed {y!r}"
    if len(a) != len(b):
        return f"shown {len(a)} lines, printed {len(b)}"
    return None


# --------------------------------------------------------------------- running
@contextlib.contextmanager
def _cwd(path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_python(code, namespace, cwd):
    """Run one block in ``namespace`` (in ``cwd``); return what it printed."""
    buf = io.StringIO()
    with _cwd(cwd), contextlib.redirect_stdout(buf):
        exec(compile(code, "<docs block>", "exec"), namespace)  # noqa: S102
    return buf.getvalue()


def _env():
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _run(argv, cwd, what):
    """Run ``argv``; its stdout, or an AssertionError with its stderr's tail."""
    done = subprocess.run(
        argv, cwd=cwd, env=_env(), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise AssertionError(f"{what}exit {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def run_bash(code, cwd):
    """Run a bash block as a script; return its stdout (fails on an error)."""
    return _run(["bash", "-e", "-c", code], cwd, "")


def run_example(path, cwd):
    """Run an example script in a fresh interpreter; return its stdout."""
    return _run([sys.executable, str(path)], cwd, f"{path.name} ")


def example_is_slow(path):
    """An example whose source says ``# docs-test: slow``."""
    return "# docs-test: slow" in Path(path).read_text()


def _available(module):
    if module == "cuda":
        import torch

        return torch.cuda.is_available()
    import importlib.util

    return importlib.util.find_spec(module) is not None


def page_has_slow(path):
    """A page with a block only the slow run runs."""
    return any(
        b.marker.get("slow") or b.marker.get("run") for b in parse_page(path)
    )


def check_page(path, cwd, *, slow=False, update=False):
    """Run a page's blocks in order and check (or rewrite) their outputs.

    Parameters
    ----------
    path : Path
        The page.
    cwd : Path
        Working directory of the blocks (files they write land there).
    slow : bool, default=False
        Also run the ``slow`` blocks and the ``run`` bash blocks.
    update : bool, default=False
        Write the printed outputs into the page instead of comparing.

    Returns
    -------
    problems : list of str
        One per output that differs (empty when all agree, or on update).
    """
    import sklearn

    # a block may set scikit-learn's global config (metadata routing)
    with sklearn.config_context():
        return _check_page(path, cwd, slow=slow, update=update)


def _check_page(path, cwd, *, slow, update):
    namespace = {"__name__": "__main__"}
    problems, updates, printed = [], [], None
    for block in parse_page(path):
        m = block.marker
        if "of" in m:
            continue  # an example's output: checked with the example
        if m.get("output"):
            if printed is None:
                continue  # the block it shows was not run
            if update:
                updates.append((block, printed))
            else:
                why = mismatch(block.code, printed, tol=m.get("tol", 0.0),
                               ignore=m.get("ignore"))
                if why:
                    problems.append(f"{path.name}:{block.start + 1}: {why}")
            printed = None
            continue
        runnable = block.lang == "python" or (block.lang == "bash" and m.get("run"))
        if not runnable or "skip" in m:
            continue
        if (m.get("slow") or m.get("run")) and not slow:
            printed = None
            continue
        if "requires" in m and not _available(m["requires"]):
            printed = None
            continue
        where = f"{path.name}:{block.start + 1}"
        try:
            if block.lang == "bash":
                printed = run_bash(block.code, cwd)
            else:
                if "setup" in m:
                    run_python(m["setup"], namespace, cwd)
                printed = run_python(block.code, namespace, cwd)
        except Exception as exc:  # noqa: BLE001 - reported with its place
            raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc
    if update and updates:
        rewrite(path, updates)
    return problems


def example_outputs(example):
    """Every ``output of examples/NAME.py`` block of the pages, with its page."""
    name = f"examples/{Path(example).name}"
    return [
        (page, block)
        for page in PAGES
        for block in parse_page(page)
        if block.marker.get("of") == name
    ]


def check_example(path, cwd, *, update=False):
    """Run an example and check (or rewrite) every output the pages show of it."""
    printed = run_example(path, cwd)
    problems = []
    for page, block in example_outputs(path):
        m = block.marker
        if update:
            rewrite(page, [(block, printed)])
            continue
        why = mismatch(
            block.code, printed, tol=m.get("tol", 0.0), ignore=m.get("ignore")
        )
        if why:
            problems.append(f"{page.name}:{block.start + 1} ({path.name}): {why}")
    return problems


def rewrite(path, updates):
    """Replace output blocks' bodies by new outputs, keeping ``$ `` lines.

    ``updates`` holds ``(block, printed)`` pairs parsed from the current
    file; later blocks are replaced first so line numbers stay valid.
    """
    lines = Path(path).read_text().splitlines()
    for block, printed in sorted(updates, key=lambda u: -u[0].start):
        old = lines[block.start : block.end + 1]
        indent = re.match(r"\s*", lines[block.start - 1]).group(0)
        prompt = [line for line in old if line.lstrip().startswith("$ ")][:1]
        body = prompt + [indent + line if line else line
                         for line in printed.rstrip("\n").splitlines()]
        lines[block.start : block.end + 1] = [ln.rstrip() for ln in body]
    Path(path).write_text("\n".join(lines) + "\n")
