"""The package's shape: import graph without cycles or upward edges, no private names used
across modules, and modules of a readable size.

The graph is built from the source with :mod:`ast` (nothing is imported), so the test also
sees imports inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dermsim"
MAX_LINES = 600

#: Pipeline order (docs/architecture.md): a module may import modules of its own rank or
#: lower, never higher. Keys are the first component below ``dermsim``.
RANK = {
    "errors": 0,
    "scenarios": 0,
    "units": 0,
    "parameters": 1,
    "schema": 1,
    "numerics": 1,
    "tissue": 2,
    "devices": 2,
    "patient": 2,
    "protocol": 3,
    "penetration": 4,
    "thermal": 5,
    "growth_factors": 5,
    "reaction_diffusion": 5,
    "signalling": 6,
    "topical": 6,
    "remodelling": 7,
    "config": 8,
    "uncertainty": 8,
    "data": 0,
    "resources": 9,
    "coupling": 9,
    "pipeline": 10,
    "metrics": 9,
    "io": 9,
    "viz": 12,
    # figures drawn for a higher layer sit with that layer
    "viz.sweep": 13,
    "viz.validation": 13,
    "viz.calibration": 13,
    "viz.report": 14,
    "viz.report_sweep": 14,
    "viz.explore": 14,
    "sweep": 13,
    "calibration": 13,
    "validation": 13,
    "docs": 12,
    "cli": 15,
    "__init__": 16,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(["dermsim", *parts])] = path
    return out


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    is_pkg = MODULES[module].name == "__init__.py"
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines of ``if TYPE_CHECKING:`` blocks: annotations only, never executed."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every dermsim import of ``module``
    that runs (imports under ``TYPE_CHECKING`` serve annotations only and are skipped)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in typing_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dermsim"):
                    found.append((alias.name, [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if not target.startswith("dermsim"):
                continue
            names = [a.name for a in node.names]
            # "from dermsim.x import y" where y is a submodule imports that submodule
            subs = [n for n in names if f"{target}.{n}" in MODULES]
            found.append((target, [n for n in names if n not in subs], node.lineno))
            found.extend((f"{target}.{n}", [], node.lineno) for n in subs)
    return found


def _top(module: str) -> str:
    """The RANK key of a module: ``viz.sweep`` where it has its own rank, else ``viz``."""
    parts = module.split(".")
    if len(parts) > 2 and ".".join(parts[1:3]) in RANK:
        return ".".join(parts[1:3])
    return parts[1] if len(parts) > 1 else "__init__"


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for m in MODULES:
        for target, _names, _line in _imports(m):
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != m:
                graph[m].add(target)
    return graph


def test_every_top_level_part_has_a_rank() -> None:
    missing = sorted({_top(m) for m in MODULES} - set(RANK))
    assert not missing, f"give these a rank in RANK (and a line in docs/architecture.md): {missing}"


def test_no_upward_imports() -> None:
    bad = []
    for m in MODULES:
        for target, _names, line in _imports(m):
            a, b = _top(m), _top(target)
            if a == b:
                continue
            if b == "__init__" and set(_names) <= {"__version__"}:
                continue  # the version is the one name every module may take from the root
            if RANK.get(b, 99) > RANK.get(a, -1):
                bad.append(f"{m}:{line} imports {target} ({a} rank {RANK.get(a)} < {b} rank "
                           f"{RANK.get(b)})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for nxt in sorted(graph[n]):
            # a package importing its own submodules (re-exports) is not a cycle
            if nxt.startswith(n + ".") and MODULES[n].name == "__init__.py":
                continue
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_no_private_names_across_modules() -> None:
    bad = []
    for m in MODULES:
        for target, names, line in _imports(m):
            if target == m:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                bad.append(f"{m}:{line} takes {private} from {target}")
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{module} has {n} lines (at most {MAX_LINES})"
