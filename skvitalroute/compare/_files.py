"""The output folder: checked before any fit, every file written atomically.

A comparison takes minutes; a folder it cannot write must be refused before
the first fit, and a failure while writing must leave no half-written or
partial set of files behind. Each file is written under a temporary name in
the output folder and renamed (``os.replace``, atomic on one file system)
once every file is complete.
"""

import os
import uuid
from pathlib import Path

from skvitalroute.compare._data import CompareError

#: The files a comparison writes, in order.
RESULT_FILES = ("results.csv", "folds.csv", "results.json", "comparison.png")


def _existing_ancestor(path):
    """The nearest existing path among ``path`` and its parents (as given)."""
    for candidate in [Path(path), *Path(path).parents]:
        if candidate.exists():
            return candidate
    return Path(".")  # a relative path whose working folder was removed


def check_out_dir(out_dir, names=RESULT_FILES, *, option="--out"):
    """Refuse an output folder the results could not be written to.

    Parameters
    ----------
    out_dir : str or Path
        The folder (created at write time when missing).
    names : sequence of str, default=RESULT_FILES
        Files that will be written in it.
    option : str, default="--out"
        Name used in the messages.

    Raises
    ------
    CompareError
        When ``out_dir`` is an existing file, it or one of its parents is
        a symbolic link to nothing, one of its parents is a file, no file
        can be created in it (or in its nearest existing parent),
        or one of ``names`` is taken by a directory.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     try:
    ...         check_out_dir(f.name)
    ...     except ValueError as exc:
    ...         print(str(exc).split(";")[0].endswith("an existing file, not a folder"))
    True
    """
    out = Path(out_dir)
    _refuse_dangling_links(out, option)
    if out.exists() and not out.is_dir():
        raise CompareError(
            f"{option} {out} is an existing file, not a folder; give a folder "
            "(it is created when missing)."
        )
    base = _existing_ancestor(out)
    if not base.is_dir():
        raise CompareError(
            f"{option} {out}: {base} is a file, so no folder can be made under it."
        )
    _probe_write(base, out, option)
    if out.is_dir():
        for name in names:
            target = out / name
            if target.exists() and not target.is_file():
                raise CompareError(
                    f"{option} {out}: {target} is a directory, so {name} cannot "
                    "be written; remove it or choose another folder."
                )


def _refuse_dangling_links(out, option):
    """A symbolic link to nothing, as ``out`` or one of its parents, passes
    the checks below (it does not exist) but fails when the folder is made."""
    for candidate in [out, *out.parents]:
        if candidate.is_symlink() and not candidate.exists():
            target = os.readlink(candidate)
            raise CompareError(
                f"{option} {out}: {candidate} is a symbolic link to {target}, "
                "which does not exist; create its target or choose another "
                "folder."
            )


def _probe_write(base, out, option):
    probe = base / f".skvitalroute-probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.touch(exist_ok=False)
    except OSError as exc:
        raise CompareError(
            f"{option} {out}: cannot write in {base} ({exc.strerror or exc})."
        ) from None
    probe.unlink()


def _temporary(out, name):
    stem, dot, ext = name.rpartition(".")
    # keep the extension last: writers such as matplotlib read the format from it
    return out / f".{stem or ext}-{uuid.uuid4().hex[:8]}.tmp{dot}{ext if stem else ''}"


def _make_dirs(out):
    """Create ``out`` and missing parents; return those created, deepest first."""
    created = []
    path = Path(os.path.abspath(out))
    while not path.exists():
        created.append(path)
        path = path.parent
    out.mkdir(parents=True, exist_ok=True)
    return created


def write_files(out_dir, writers):
    """Write files into ``out_dir``, all of them or none.

    Parameters
    ----------
    out_dir : str or Path
        Created with its missing parents.
    writers : list of (str, callable)
        ``(name, write)`` pairs; ``write(path)`` writes the file at ``path``
        (a temporary name in ``out_dir`` with the same extension).

    Returns
    -------
    paths : list of Path
        The files written, in the order of ``writers``.

    Raises
    ------
    BaseException
        Whatever a writer or a rename raised (also ``KeyboardInterrupt``),
        after removing every temporary file, every file already renamed
        and every folder this call created.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = Path(tmp) / "new"
    ...     try:
    ...         write_files(out, [("a.txt", lambda p: p.write_text("a")),
    ...                           ("b.txt", lambda p: 1 / 0)])
    ...     except ZeroDivisionError:
    ...         print(out.exists())
    False
    """
    out = Path(out_dir)
    created, temps, done = [], [], []
    try:
        created = _make_dirs(out)
        for name, write in writers:
            temps.append((_temporary(out, name), out / name))
            write(temps[-1][0])
        for tmp, final in temps:
            os.replace(tmp, final)
            done.append(final)
    except BaseException:
        for path in [t for t, _ in temps] + done:
            path.unlink(missing_ok=True)
        for folder in created:
            try:
                folder.rmdir()
            except OSError:  # not empty: someone else wrote there meanwhile
                break
        raise
    return done
