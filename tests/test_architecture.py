"""The layout's promises, checked on the source: imports run one way and never in a circle.

The order (README, "Architecture"), bottom to top; an app may import only from its own layer's
app and those below it; models may still name each other by string.
"""

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    ("arrears",),
    ("households",),
    ("teams",),
    ("escalation",),
    ("imports", "reports"),
    ("summaries", "desk"),
    ("config",),
]
LAYER = {app: level for level, apps in enumerate(LAYERS) for app in apps}


def app_of(module: str) -> str:
    return module.split(".", 1)[0]


def source_modules() -> dict[str, Path]:
    modules = {}
    for app in LAYER:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = source_modules()


def resolve(name: str) -> str | None:
    """The first-party module `name` is, or is inside (a name imported from a module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> list[tuple[str, str, int, bool]]:
    """(imported module, imported name or '', line, at module level) for each first-party import."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = resolve(alias.name)
                if target:
                    found.append((target, "", node.lineno, id(node) in top_level))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = resolve(f"{base}.{alias.name}") or resolve(base)
                if target:
                    name = "" if target == f"{base}.{alias.name}" else alias.name
                    found.append((target, name, node.lineno, id(node) in top_level))
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_the_walk_sees_every_app_and_their_imports():
    assert {app_of(m) for m in MODULES} == set(LAYER)
    assert sum(len(edges) for edges in GRAPH.values()) > 300


def cycles_in(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return cycles


def against_the_layers(edges) -> list[str]:
    """Imports that climb, or that cross between apps of one layer."""
    return [
        f"{module} imports {target} (line {line})"
        for module, targets in edges.items()
        for target, _, line, _ in targets
        if LAYER[app_of(target)] > LAYER[app_of(module)]
        or (LAYER[app_of(target)] == LAYER[app_of(module)] and app_of(target) != app_of(module))
    ]


def test_the_checks_find_what_they_look_for():
    assert cycles_in({"a.x": {"b.y"}, "b.y": {"c.z"}, "c.z": {"a.x"}, "d": {"a.x"}}) == [
        ["a.x", "b.y", "c.z"]
    ]
    assert cycles_in({"a.x": {"b.y"}, "b.y": set()}) == []
    climbing = {"arrears.payments": [("households.models", "Household", 3, True)]}
    assert against_the_layers(climbing) == ["arrears.payments imports households.models (line 3)"]
    sideways = {"desk.views": [("summaries.producing", "", 9, False)]}
    assert against_the_layers(sideways) == ["desk.views imports summaries.producing (line 9)"]
    assert against_the_layers({"desk.views": [("arrears.models", "Case", 1, True)]}) == []


def test_no_import_cycle_between_modules():
    # Function-level imports count: one inside a function only hides a cycle.
    edges = {m: {t for t, _, _, _ in GRAPH[m] if t != m} for m in MODULES}
    assert cycles_in(edges) == []


def test_imports_run_down_the_layers():
    assert against_the_layers(GRAPH) == []


def test_no_app_imports_another_apps_views_or_private_names():
    reaching = [
        f"{module} imports {target}{'.' + name if name else ''} (line {line})"
        for module, edges in GRAPH.items()
        for target, name, line, _ in edges
        if app_of(target) != app_of(module)
        and app_of(module) != "config"
        and (
            target.rpartition(".")[2].endswith("views")
            or name.startswith("_")
            or target.rpartition(".")[2].startswith("_")
        )
    ]
    assert reaching == []


def test_no_first_party_import_hides_inside_a_function():
    # Django's AppConfig.ready() is where signal wiring must be imported; nothing else hides.
    hidden = defaultdict(list)
    for module, edges in GRAPH.items():
        for target, _, line, top in edges:
            if not top and not module.endswith(".apps"):
                hidden[module].append(f"{target} (line {line})")
    assert dict(hidden) == {}


@pytest.mark.parametrize("app", sorted(set(LAYER) - {"config"}))
def test_importing_an_app_does_not_load_celery(app):
    # The project (config) loads the Celery app; an app's package must not, so that a script
    # or a test importing the domain pays for neither Celery nor a broker connection.
    code = f"import sys, {app}; print('celery' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
