"""The import structure of ``skvitalroute.compare``: no cycle, no hidden import."""

import ast
from pathlib import Path

import skvitalroute.compare

ROOT = Path(skvitalroute.compare.__file__).parent


def _module(path):
    parts = ["skvitalroute", "compare", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports():
    """Module -> (compare modules it imports at module level, lazy imports)."""
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    out = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        top, lazy = set(), []
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            if not node.module.startswith("skvitalroute"):
                continue
            if node not in tree.body:
                lazy.append(node.module)
            elif node.module in modules:
                top.add(node.module)
        out[name] = (top, lazy)
    return out


def test_no_function_level_import_of_the_package():
    """Check every skvitalroute import in compare/ is at module level."""
    lazy = {m: found for m, (_, found) in _imports().items() if found}
    assert lazy == {}


def test_no_import_cycle():
    """Check the module-level imports of compare/ form no cycle."""
    graph = {m: top for m, (top, _) in _imports().items()}
    done, active = set(), []

    def visit(module):
        assert module not in active, " -> ".join([*active, module])
        if module in done:
            return
        active.append(module)
        for target in graph[module]:
            visit(target)
        active.pop()
        done.add(module)

    for module in graph:
        visit(module)
