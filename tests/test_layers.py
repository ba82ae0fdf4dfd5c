"""The package's layers: imports go downwards only (physics <- kernels <- inference <- pipeline), and
no module imports itself back through others (no cycle), counting imports inside functions too."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "theory"
LAYERS = {
    "theory": 0,  # the package root: __version__, atomic writes, provenance
    "theory.qcd": 1,  # special functions, alpha_s, anomalous dimensions, evolution, flavours, Mellin
    "theory.dis": 2,  # kinematics, structure functions, the cross section
    "theory.pdfs": 2,  # input parametrisations
    "theory.kernels": 3,  # the DIS response, channels, backends, kernel files
    "theory.inference": 4,  # the run object, events, quadrature, fits, posterior
    "theory.pipeline": 5,  # CLI, config, paths, planner, bench, report, plots, exports
}


def _module(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts), parts[-1] == "__init__"


def _imports():
    """{module: {imported theory modules}} from every import statement, anywhere in the file."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name, is_pkg = _module(path)
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("theory")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("theory"):
                    found.add(target)
                    found |= {f"{target}.{a.name}" for a in node.names}
        graph[name] = found
    # keep only names that are modules or packages of the tree
    return {m: {t for t in deps if t in graph and t != m} for m, deps in graph.items()}


def _layer(module):
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


GRAPH = _imports()


def test_every_module_sits_in_a_layer():
    top = {m.split(".")[1] for m in GRAPH if m.count(".") >= 1}
    loose = sorted(t for t in top if f"theory.{t}" not in LAYERS and t not in ("atomic", "provenance", "__main__"))
    assert not loose, f"modules outside the layers: {loose}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_downwards(module):
    if module == "theory.__main__":
        return  # the entry point runs the CLI
    up = sorted(d for d in GRAPH[module] if _layer(d) > _layer(module) and d != "theory")
    assert not up, f"{module} (layer {_layer(module)}) imports higher layers: {up}"


def test_no_import_cycle():
    """Tarjan's strongly connected components over the module graph: every component one module."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            # a package importing its own submodules (re-exports) is not a cycle of modules
            real = [m for m in comp if not any(o.startswith(m + ".") for o in comp)]
            if len(real) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_module_below_the_pipeline_imports_the_cli():
    cli = {m for m in GRAPH if m.startswith("theory.pipeline.cli")}
    below = {m for m in GRAPH if _layer(m) < LAYERS["theory.pipeline"] and m != "theory.__main__"}
    offenders = sorted(m for m in below if GRAPH[m] & cli)
    assert not offenders, offenders
