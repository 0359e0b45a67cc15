"""Compare rapidyaml with libyaml's composer on a corpus's front matters (one core).

    python -m venv /tmp/ryml && /tmp/ryml/bin/pip install rapidyaml pyyaml
    /tmp/ryml/bin/python bench/bench_rapidyaml.py /tmp/textcrm-bench/crm-10000

rapidyaml is not a dependency of textcrm: run this with a Python that has it. Per file, best of
three passes over every front matter held in memory, collector off:
  libyaml compose     yaml.compose with PyYAML's CBaseLoader (nodes with positions)
  ryml parse          rapidyaml's parse_in_arena (a tree inside rapidyaml, nothing in Python)
  ryml parse + read   the same, then every key and value read out through the Python binding
It also counts the files each parser refuses.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable

import ryml
import yaml

FOLDERS = ("opportunities", "accounts", "contacts", "competitors")


def fronts_of(root: str) -> list[bytes]:
    fronts = []
    for folder in FOLDERS:
        for name in sorted(os.listdir(os.path.join(root, folder))):
            with open(os.path.join(root, folder, name), "rb") as f:
                parts = f.read().split(b"---\n", 2)
            if len(parts) == 3:
                fronts.append(parts[1])
    return fronts


def read_all(tree: ryml.Tree, node: int, out: list[object]) -> None:
    """Every key and value under `node`, as Python strings."""
    if tree.has_key(node):
        out.append(bytes(tree.key(node)).decode())
    if tree.has_val(node):
        value = tree.val(node)
        out.append(bytes(value).decode() if value is not None else None)
    child = tree.first_child(node)
    while child != ryml.NONE:
        read_all(tree, child, out)
        child = tree.next_sibling(child)


def main() -> int:
    fronts = fronts_of(sys.argv[1])
    gc.disable()

    def libyaml_compose() -> None:
        for front in fronts:
            with contextlib.suppress(yaml.YAMLError):
                yaml.compose(front.decode(), Loader=yaml.CBaseLoader)

    def ryml_parse() -> None:
        for front in fronts:
            with contextlib.suppress(Exception):  # rapidyaml's parse errors
                ryml.parse_in_arena(front)

    def ryml_parse_and_read() -> None:
        for front in fronts:
            try:
                tree = ryml.parse_in_arena(front)
            except Exception:
                continue
            read_all(tree, tree.root_id(), [])

    parts: dict[str, Callable[[], None]] = {
        "libyaml compose": libyaml_compose,
        "ryml parse": ryml_parse,
        "ryml parse + read": ryml_parse_and_read,
    }
    best = dict.fromkeys(parts, float("inf"))
    for _ in range(3):
        for name, part in parts.items():
            start = time.process_time()
            part()
            best[name] = min(best[name], time.process_time() - start)
    for name, seconds in best.items():
        print(f"{name:20} {seconds / len(fronts) * 1e6:6.0f} µs per file")

    refused_ryml = refused_libyaml = 0
    for front in fronts:
        try:
            ryml.parse_in_arena(front)
        except Exception:
            refused_ryml += 1
        try:
            yaml.compose(front.decode(), Loader=yaml.CBaseLoader)
        except yaml.YAMLError:
            refused_libyaml += 1
    print(
        f"{len(fronts)} front matters; refused: rapidyaml {refused_ryml}, "
        f"libyaml {refused_libyaml} (rapidyaml {ryml.version})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
