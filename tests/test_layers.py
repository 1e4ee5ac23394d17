"""The package's import structure: layers that only import downwards.

The layers are the architecture of docs/architecture.md: helpers, then the
probe and the networks, the training-row plumbing, the tactics, the routing,
the two front doors, the package's namespace, and the comparisons on top.
"""

import ast
from pathlib import Path

import skvitalroute

ROOT = Path(skvitalroute.__file__).parent

# Each part of the package, by its first name under ``skvitalroute``, and its
# layer: a module may import its own part and the parts of lower layers.
LAYERS = {
    "_utils": 0,
    "nn": 1,
    "probe": 1,
    "_data": 2,
    "callbacks": 3,
    "routing": 4,
    "_classifier": 5,
    "_sampler": 5,
    "_display": 5,
    "_module": 5,
    "__init__": 6,
    "compare": 7,
    "__main__": 8,
}


def _part(module):
    """The part of ``skvitalroute.a.b`` (``a``); the package itself is
    ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _edges():
    """(importing module, imported module, lazy) for every skvitalroute import."""
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "skvitalroute"
            ):
                yield module, node.module, node not in tree.body


def test_every_part_has_a_layer():
    """Check that the layer table names every module and package."""
    parts = {_part(m) for m, _, _ in _edges()} | {
        p.stem for p in ROOT.iterdir() if p.suffix == ".py" or p.is_dir()
    }
    parts -= {"__pycache__"}
    assert parts <= set(LAYERS), sorted(parts - set(LAYERS))


def test_imports_only_go_down():
    """Check that no module imports a part of a higher layer."""
    upward = sorted(
        f"{source} -> {target}"
        for source, target, _ in _edges()
        if LAYERS[_part(target)] > LAYERS[_part(source)]
    )
    assert upward == []


def test_compare_imports_the_package_only_at_module_level():
    """Check every skvitalroute import in compare/ is at module level (no
    import hidden in a function, where a cycle would go unseen)."""
    lazy = sorted(
        f"{source} -> {target}"
        for source, target, is_lazy in _edges()
        if is_lazy and _part(source) == "compare"
    )
    assert lazy == []


def test_no_module_level_import_cycle():
    """Check that the module-level imports of the package form no cycle."""
    graph = {}
    for source, target, lazy in _edges():
        graph.setdefault(source, set())
        if not lazy and target != source:
            graph[source].add(target)
    done, active = set(), []

    def visit(module):
        assert module not in active, " -> ".join([*active, module])
        if module in done:
            return
        active.append(module)
        for target in graph.get(module, ()):
            visit(target)
        active.pop()
        done.add(module)

    for module in list(graph):
        visit(module)


def test_front_doors_do_not_import_each_other():
    """Check that the two front doors share code only through lower layers."""
    doors = {"_classifier", "_sampler"}
    across = sorted(
        f"{source} -> {target}"
        for source, target, _ in _edges()
        if {_part(source), _part(target)} == doors
    )
    assert across == []
