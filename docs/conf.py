"""Sphinx configuration: Markdown pages (MyST) and numpydoc API pages."""

project = "skvitalroute"
author = "skvitalroute developers"
extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
numpydoc_show_class_members = False
html_theme = "alabaster"
