"""The hook's import budget: what `python -m textcrm.hook` loads for a small commit.

The installed script runs on every commit, so every module it imports is paid for on every
commit. These tests run the entry point in a fresh interpreter, exactly as the script runs
it, and compare the textcrm and third-party modules it imported with the lists below. A new
import on the hook's path fails here until it is added to a list on purpose.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import GOOD_OPPORTUNITY, TODAY, git, write_files

# What judging a commit of one opportunity loads: the hook, git, the loader with the parser
# and model, the checks, and the console's text output.
SMALL_COMMIT = frozenset(
    {
        "textcrm",
        "textcrm.cache",
        "textcrm.checks",
        "textcrm.checks.amounts",
        "textcrm.checks.dates",
        "textcrm.checks.notes",
        "textcrm.checks.references",
        "textcrm.checks.stages",
        "textcrm.console",
        "textcrm.deals",
        "textcrm.diagnostics",
        "textcrm.encode",
        "textcrm.entry",
        "textcrm.errors",
        "textcrm.git",
        "textcrm.hook",
        "textcrm.hook.baseline",
        "textcrm.hook.check",
        "textcrm.hook.fast",
        "textcrm.hook.install",
        "textcrm.hook.scope",
        "textcrm.layout",
        "textcrm.loader",
        "textcrm.model",
        "textcrm.money",
        "textcrm.notes",
        "textcrm.parse",
        "textcrm.parse.files",
        "textcrm.parse.records",
        "textcrm.parse.values",
        "textcrm.plural",
        "textcrm.repository",
        "textcrm.rules",
        "textcrm.schema.fields",
        "textcrm.schema",
        "textcrm.source",
        "textcrm.suggest",
        "textcrm.verdicts",
        "textcrm.yamlnodes",
    }
)
# A commit that stages no CRM file is answered from `git diff --cached` alone.
NO_CRM_FILE = frozenset(
    {
        "textcrm",
        "textcrm.console",
        "textcrm.diagnostics",
        "textcrm.encode",
        "textcrm.entry",
        "textcrm.errors",
        "textcrm.git",
        "textcrm.hook",
        "textcrm.hook.check",
        "textcrm.hook.install",
        "textcrm.hook.scope",
        "textcrm.layout",
        "textcrm.plural",
    }
)
# A commit whose staged blobs `textcrm check` (or an earlier hook run) judged clean: answered
# from the verdict store, without the loader, the parser, the model or PyYAML.
FAST_ROUTE = NO_CRM_FILE | {"textcrm.cache", "textcrm.hook.fast", "textcrm.verdicts"}
# Standard library modules the fast route may add to those of a commit without CRM files:
# reading and verifying the signed store, and decoding its entries.
FAST_ROUTE_STDLIB = frozenset(
    {"hmac", "marshal", "pickle", "_compat_pickle", "_pickle", "_struct", "struct"}
)
# Outside libraries (top-level import names) the hook may load.
THIRD_PARTY = frozenset({"yaml"})
# Standard library modules that serve other work (parallel parsing, JSON and table output)
# and that a small commit must not pay for.
NOT_FOR_A_SMALL_COMMIT = frozenset({"concurrent", "multiprocessing", "json", "textwrap"})

# Runs the entry point as `python -m textcrm.hook` does, then lists the modules it imported
# (those with an import spec: a C extension's run-time helpers, such as Cython's, are not
# modules anyone imports).
PROBE = """
import runpy, sys
before = set(sys.modules)
try:
    runpy.run_module("textcrm.hook", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = None
sys.stdout.flush()
new = [m for m in set(sys.modules) - before if getattr(sys.modules[m], "__spec__", None)]
import json  # only now: the hook's own imports are counted above
print(json.dumps([code, sorted(new)]), file=sys.stderr)
"""

BAD = GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")


def crm_repo(make_repo, tmp_path: Path) -> Path:
    top = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY}, root=tmp_path / "repo")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "first")
    return top


def run_hook(top: Path, tmp_path: Path) -> tuple[str, int, set[str]]:
    """(standard output, exit status, modules imported) of the hook entry point in `top`."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        env={
            "NO_COLOR": "1",
            "PATH": "/usr/bin:/bin",
            "TEXTCRM_TODAY": TODAY,
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        },
    )
    code, modules = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.stdout, code, set(modules)


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "textcrm" or m.startswith("textcrm.")}


def outside(modules: set[str]) -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    tops = {m.split(".")[0] for m in modules}
    return {t for t in tops if t not in stdlib and t != "textcrm"}


def test_a_one_file_commit_imports_only_the_budget(make_repo, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY + "More notes.\n"})
    git(top, "add", "-A")
    out, code, modules = run_hook(top, tmp_path)
    assert (out, code) == ("textcrm: no problems in 1 opportunity\n", 0)
    assert sorted(ours(modules) - SMALL_COMMIT) == []
    assert sorted(outside(modules) - THIRD_PARTY) == []
    assert sorted({m.split(".")[0] for m in modules} & NOT_FOR_A_SMALL_COMMIT) == []
    assert "textcrm.loader" in modules and "yaml" in modules  # it really checked the file


def test_a_refused_commit_stays_within_the_budget(make_repo, tmp_path):
    # Problems load the records once more as committed (HEAD): no more modules for that.
    top = crm_repo(make_repo, tmp_path)
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "-A")
    out, code, modules = run_hook(top, tmp_path)
    assert code == 1
    assert out.startswith("opportunities/acme.md:6:1: error: close date 2026-11-01 is in the past")
    assert sorted(ours(modules) - SMALL_COMMIT) == []
    assert sorted(outside(modules) - THIRD_PARTY) == []
    assert sorted({m.split(".")[0] for m in modules} & NOT_FOR_A_SMALL_COMMIT) == []


def test_a_commit_without_crm_files_loads_neither_the_loader_nor_yaml(make_repo, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    write_files(top, {"src/app.py": "print('hello')\n"})
    git(top, "add", "-A")
    out, code, modules = run_hook(top, tmp_path)
    assert (out, code) == ("", 0)
    assert sorted(ours(modules) - NO_CRM_FILE) == []
    assert outside(modules) == set()
    assert sorted({m.split(".")[0] for m in modules} & NOT_FOR_A_SMALL_COMMIT) == []


def test_a_commit_of_checked_blobs_takes_the_fast_route_within_its_budget(make_repo, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY + "More notes.\n"})
    git(top, "add", "-A")
    out, code, full = run_hook(top, tmp_path)  # the full hook records the blob's verdict
    assert "textcrm.loader" in full
    out, code, modules = run_hook(top, tmp_path)
    assert (out, code) == ("textcrm: no problems in 1 opportunity\n", 0)
    assert sorted(ours(modules) - FAST_ROUTE) == []
    assert outside(modules) == set()
    _out, _code, no_crm = no_crm_file_modules(make_repo, tmp_path)
    stdlib = {m.split(".")[0] for m in modules if m not in no_crm} - {"textcrm"}
    assert sorted(stdlib - FAST_ROUTE_STDLIB) == []
    assert "textcrm.verdicts" in modules  # it really answered from the store


def no_crm_file_modules(make_repo, tmp_path: Path) -> tuple[str, int, set[str]]:
    """The modules of a commit that stages no CRM file, in another repository."""
    top = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY}, root=tmp_path / "other")
    git(top, "init", "-q", "-b", "main")
    write_files(top, {"src/app.py": "print('hello')\n"})
    git(top, "add", "src/app.py")
    return run_hook(top, tmp_path)
