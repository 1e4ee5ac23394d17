"""Sphinx configuration: Markdown pages (MyST) and numpydoc API pages."""

import re
import sys

from sphinx.pycode import ModuleAnalyzer

project = "skvitalroute"
author = "skvitalroute developers"
extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_static/*.md"]  # included reports, not pages
numpydoc_show_class_members = False
html_theme = "alabaster"
templates_path = ["_templates"]
# One page per public name, written at build time into docs/generated/.
autosummary_generate = True
# Anchors for links such as [Reliability](reliability.md#faults).
myst_heading_anchors = 3


_TYPE_LINE = re.compile(r"^\s*\w[\w, *]* : ")
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=[,)])")


def _escape_attribute_names(app, what, name, obj, options, lines):
    """Escape ``name_`` in numpydoc type lines: ``(n_features_in_,)`` is a shape.

    reST reads a word ending in ``_`` as a link to a target of that name.
    """
    for i, line in enumerate(lines):
        if _TYPE_LINE.match(line):
            head, sep, kind = line.partition(" : ")
            lines[i] = head + sep + _TRAILING_UNDERSCORE.sub(r"\\_", kind)


def _constant_comment(app, what, name, obj, options, lines):
    """Give a re-exported constant the ``#:`` comment of the module defining it.

    autodoc looks for the comment in the module the constant is documented
    under (``skvitalroute.compare``) and otherwise shows the docstring of its
    type (``tuple``).
    """
    if what != "data":
        return
    attr = name.rpartition(".")[2]
    for modname, module in list(sys.modules.items()):
        if (
            not modname.startswith("skvitalroute.")
            or getattr(module, attr, None) is not obj
        ):
            continue
        try:
            comment = (
                ModuleAnalyzer.for_module(modname).find_attr_docs().get(("", attr))
            )
        except Exception:  # a module without source
            continue
        if comment:
            lines[:] = list(comment)
            return
    if lines and "\n".join(lines).strip() == (type(obj).__doc__ or "").strip():
        lines[:] = []


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods.

    Their docstrings link into scikit-learn's own user guide; they are
    documented there (metadata routing), not here.
    """
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    # before numpydoc (priority 500) rewrites the sections
    app.connect("autodoc-process-docstring", _escape_attribute_names, priority=400)
    app.connect("autodoc-process-docstring", _constant_comment)
    app.connect("autodoc-skip-member", _skip_metadata_requests)
