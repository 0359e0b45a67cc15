"""The invariants of docs/architecture.md that the import graph can show, checked on the code.

Each outside library has exactly one importer (a module, or the package named); nothing deep
in the code reads the clock; the checks never render. Imports under `if TYPE_CHECKING:` are
type annotations, not uses, and are left out.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src" / "textcrm"

# Outside library -> the one module (or package) that may import it.
IMPORTERS = {
    "babel": "textcrm.money",
    "click": "textcrm.cli",
    "dateutil": "textcrm.calendar",
    "icalendar": "textcrm.calendar",
    "jinja2": "textcrm.render",
    "lsprotocol": "textcrm.lsp",
    "markdown": "textcrm.render",
    "nh3": "textcrm.render",
    "pygls": "textcrm.lsp.server",
    "pymdownx": "textcrm.render",
    "ruamel": "textcrm.edit.roundtrip",
    "watchdog": "textcrm.site.serve",
    "weasyprint": "textcrm.pdf",
    "yaml": "textcrm.yamlnodes",
}

# Only the loader turns bytes into records: everyone else asks its entry points.
PARSER_CALLERS = {"textcrm.loader"}

# Entry points may read the clock; nothing below them does ("today" is a parameter).
CLOCK_READERS = {"textcrm.cli", "textcrm.cli.lsp", "textcrm.hook.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    name = ".".join(("textcrm", *parts))
    return name.removesuffix(".__init__")


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports() -> dict[str, set[str]]:
    """Module -> every module it imports (at run time), by full name."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        name = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", 0) in typing_only:
                continue
            if isinstance(node, ast.Import):
                found[name].update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found[name].add(node.module)
                found[name].update(f"{node.module}.{a.name}" for a in node.names)
    return found


def within(module: str, owner: str) -> bool:
    return module == owner or module.startswith(owner + ".")


def test_each_outside_library_has_one_importer() -> None:
    stdlib = set(sys.stdlib_module_names)
    wrong = []
    for module, names in sorted(imports().items()):
        for imported in sorted(names):
            top = imported.split(".")[0]
            if top in stdlib or top in ("textcrm", "__future__"):
                continue
            owner = IMPORTERS.get(top)
            if owner is None:
                wrong.append(f"{module} imports {top}, which has no named importer")
            elif not within(module, owner):
                wrong.append(f"{module} imports {top}; only {owner} may")
    assert wrong == []


def test_only_the_listed_modules_call_the_parser() -> None:
    callers = {m for m, names in imports().items() if "textcrm.parse" in names}
    assert callers <= PARSER_CALLERS, callers - PARSER_CALLERS


def test_checks_never_render_or_read_files() -> None:
    for module, names in imports().items():
        if within(module, "textcrm.checks"):
            assert not any(
                within(n, f"textcrm.{bad}")
                for n in names
                for bad in ("render", "site", "views", "console", "source", "git")
            ), (module, names)


def test_nothing_below_the_entry_points_reads_the_clock() -> None:
    readers = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                call = ast.unparse(node.func)
                if call.endswith(("date.today", "datetime.now", "datetime.today", "time.time")):
                    readers.add(module_name(path))
    assert readers <= CLOCK_READERS, readers - CLOCK_READERS


# Process-wide settings a library must leave alone: they belong to the entry points.
PROCESS_WIDE = ("gc.freeze", "gc.set_threshold", "signal.signal", "locale.setlocale")
ENTRY_POINTS = {"textcrm.entry"}


def test_library_code_makes_no_lasting_process_wide_change() -> None:
    found = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in PROCESS_WIDE:
                found.add(module_name(path))
            # Pausing the collector is allowed only where it is switched back on.
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "gc.disable"
                and "gc.enable" not in path.read_text(encoding="utf-8")
            ):
                found.add(module_name(path))
    assert found <= ENTRY_POINTS, found - ENTRY_POINTS


def test_the_checks_do_not_import_the_loader_that_runs_them() -> None:
    # The checks read a Repository (textcrm.repository); importing the loader would close a
    # circle between the orchestrator and what it calls.
    for module, names in imports().items():
        if within(module, "textcrm.checks"):
            assert not any(within(n, "textcrm.loader") for n in names), module


def top_level_imports() -> dict[str, set[str]]:
    """Module -> the textcrm modules it imports when it is itself imported (not lazily)."""
    modules = {module_name(p) for p in SRC.rglob("*.py")}
    found: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        name = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_lines(tree)
        for node in tree.body:
            if node.lineno in typing_only:
                continue
            if isinstance(node, ast.Import):
                found[name].update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    # `from package import submodule` depends on the submodule; any other
                    # name is the module's own.
                    full = f"{node.module}.{alias.name}"
                    found[name].add(full if full in modules else node.module)
        # A module always sits inside its packages: that is containment, not a dependency.
        found[name] = {n for n in found[name] if n in modules and not within(name, n)}
    return found


def test_the_import_graph_has_no_cycles() -> None:
    # Data flows one way: no module imports, at its top, a module that imports it back.
    graph = top_level_imports()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle.extend([*trail, node, nxt])
                return True
            if nxt not in state and visit(nxt, [*trail, node]):
                return True
        state[node] = 2
        return False

    for start in sorted(graph):
        if start not in state and visit(start, []):
            break
    assert cycle == []


def test_the_location_line_is_built_in_one_place() -> None:
    # `path:line:col: severity: message [code]` is what editors parse; every command writes it
    # through diagnostics.format_line, so its shape cannot drift.
    builders = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = ast.unparse(node)
                if ".line}:{" in text and ".column}" in text:
                    builders.add(module_name(path))
    assert builders <= {"textcrm.diagnostics"}, builders


def test_every_rounding_is_in_money() -> None:
    # Money, percentages, rates and averages are rounded by money.py's functions, by one rule.
    found = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(
                (".quantize", "round")
            ):
                found.add(module_name(path))
    assert found <= {"textcrm.money"}, found - {"textcrm.money"}


def test_no_module_is_over_800_lines() -> None:
    # A module past about 800 lines usually holds two jobs: split it into a package by job.
    long = {
        module_name(p): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert long == {}
