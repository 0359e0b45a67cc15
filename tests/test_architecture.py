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
    "ruamel": "textcrm.edit",
    "watchdog": "textcrm.watch",
    "weasyprint": "textcrm.pdf",
    "yaml": "textcrm.yamlnodes",
}

# Modules that still read records without the loader's entry points. The one-loader work
# moves them onto the loader; this list may only get shorter.
PARSER_CALLERS = {
    "textcrm.loader",
    "textcrm.edit",
    "textcrm.history",
    "textcrm.hook",
    "textcrm.watch",
}

# Entry points may read the clock; nothing below them does ("today" is a parameter).
CLOCK_READERS = {"textcrm.cli", "textcrm.hook"}


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
