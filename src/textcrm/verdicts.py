"""The verdict store: which record files' blobs are known clean, for a hook without the parser.

`check` (through its results cache) and the hook itself record, per record file and blob id
(git's id of its bytes), what the hook needs to pass a commit without parsing: the inputs the
file's one-file rules read (textcrm.yaml's and products.yaml's blob ids, today), whether those
rules found nothing once textcrm.yaml's `rules:` applied ("clean"; None when not known), and
what the cross-file rules read of it: the ids it names (by form of naming, without lines), its
account and its quote number. textcrm.yaml itself has a verdict too: clean when it has no
problem of its own.

The files live in `.textcrm-cache/`, written and read through `cache.write_signed` and
`cache.read_signed` (a forged, truncated or foreign one is ignored). `check` rewrites
`verdicts-<code>-<c>.pickle` whenever it saves its results cache, split in 16 by the first hex
digit `c` of the blob id, so the hook reads only the parts its blobs fall in; the hook keeps
the verdicts it reached itself in `verdicts-recent-<code>.pickle`, capped. Each file is a dict
of plain values (no class of ours, so unpickling imports nothing) whose entries stay marshal
bytes until asked for. This module imports only the cache module: the hook's fast route stays
within tests/test_hook_imports.py's FAST_ROUTE budget.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from textcrm.cache import code_fingerprint, read_signed, write_signed

_FORMAT = 2
_SHARDS = "0123456789abcdef"
RECENT_CAP = 4096  # the hook's own verdicts kept, most recent last
CONFIG = "textcrm.yaml"

# The inputs of a file's one-file rules: (config blob id, catalog digest or None, today or None).
Inputs = tuple[str, "str | None", "str | None"]


class Verdict(NamedTuple):
    """What the store knows about one blob of one record file."""

    inputs: Inputs
    clean: bool | None  # no finding of its own (after `rules:`); None: not known
    kind: str  # of the References (checks.references); "" when the file does not parse
    account: str
    names: tuple[str, ...]  # (form, id) after (form, id), each once, without lines
    quote: str | None  # the quote number


class Known(NamedTuple):
    """One verdict to record: the file, its blob, and the verdict."""

    path: str
    blob: str
    verdict: Verdict


def names_of(flat: Iterable[str | int]) -> tuple[str, ...]:
    """The (form, id) pairs of References.names ((form, id, line) flat), each once."""
    it = iter(flat)
    pairs = dict.fromkeys(
        (str(form), str(name)) for form, name, _line in zip(it, it, it, strict=True)
    )
    return tuple(part for pair in pairs for part in pair)


def _code() -> str:
    return code_fingerprint("verdicts", str(_FORMAT))


def _shard_name(shard: str) -> str:
    return f"verdicts-{_code()}-{shard}.pickle"


def _recent_name() -> str:
    return f"verdicts-recent-{_code()}.pickle"


def _payload(known: Iterable[Known]) -> dict[str, Any]:
    inputs: dict[Inputs, int] = {}
    entries: dict[str, bytes] = {}
    for path, blob, v in known:
        at = inputs.setdefault(v.inputs, len(inputs))
        body = (at, v.clean, v.kind, v.account, v.names, v.quote)
        entries[path] = bytes.fromhex(blob) + marshal.dumps(body)
    return {"format": _FORMAT, "inputs": list(inputs), "entries": entries}


def _valid(saved: Any) -> dict[str, Any]:
    """The saved dict when it has the expected shape, else an empty one."""
    if (
        isinstance(saved, dict)
        and saved.get("format") == _FORMAT
        and isinstance(saved.get("inputs"), list)
        and isinstance(saved.get("entries"), dict)
    ):
        return saved
    return {"format": _FORMAT, "inputs": [], "entries": {}}


def _decode(saved: Mapping[str, Any], path: str) -> tuple[str, Verdict] | None:
    """(blob id, verdict) of `path` in one file, or None (missing, or not understood)."""
    raw = saved["entries"].get(path)
    if not isinstance(raw, bytes) or len(raw) < 21:
        return None
    try:
        at, clean, kind, account, names, quote = marshal.loads(raw[20:])
        config, catalog, today = saved["inputs"][at]
    except (ValueError, TypeError, EOFError, IndexError):
        return None
    return raw[:20].hex(), Verdict((config, catalog, today), clean, kind, account, names, quote)


def holds(v: Verdict, current: Inputs) -> bool:
    """Whether a verdict's inputs are those of `current` (None: an input it does not read)."""
    config, catalog, today = v.inputs
    return (
        config == current[0]
        and (catalog is None or catalog == current[1])
        and (today is None or today == current[2])
    )


class Store:
    """The verdict files of one CRM, each read once when first needed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._read: dict[str, dict[str, Any]] = {}

    def _file(self, name: str) -> dict[str, Any]:
        got = self._read.get(name)
        if got is None:
            got = self._read[name] = _valid(read_signed(self.folder / name))
        return got

    def candidates(self, path: str, blob: str) -> list[Verdict]:
        """The verdicts on this blob of `path`, whatever their inputs, the newest first."""
        if not blob or blob[0] not in _SHARDS:
            return []
        found = []
        for name in (_recent_name(), _shard_name(blob[0])):
            got = _decode(self._file(name), path)
            if got is not None and got[0] == blob:
                found.append(got[1])
        return found

    def get(self, path: str, blob: str, current: Inputs) -> Verdict | None:
        """The verdict on this blob of `path` whose inputs hold under `current` (an input the
        file's rules do not read is None in its verdict), or None."""
        return next((v for v in self.candidates(path, blob) if holds(v, current)), None)

    def config_clean(self, config: str) -> bool:
        """Whether the textcrm.yaml of this blob id is known to have no problem of its own."""
        v = self.get(CONFIG, config, (config, None, None))
        return v is not None and v.clean is True

    def recent(self) -> list[Known]:
        """The verdicts the hook recorded itself, oldest first."""
        saved = self._file(_recent_name())
        known = []
        for path in saved["entries"]:
            found = _decode(saved, path)
            if found is not None:
                known.append(Known(path, found[0], found[1]))
        return known


def _config_verdict(config: str, clean: bool) -> Known:
    return Known(CONFIG, config, Verdict((config, None, None), clean, "", "", (), None))


def save_from_check(
    folder: Path,
    files: Mapping[str, Any],
    written: bool,
    config: str,
    rules: Mapping[str, str],
    config_found: Iterable[Any],
) -> None:
    """Rewrite the `verdicts-*` parts from the results cache's entries (`results.Entry` by
    path), judged under the textcrm.yaml of blob id `config` (its problems `config_found`)
    and its `rules:` overrides: when the results cache was `written`, or a part is missing."""
    if not written and all(os.path.isfile(folder / _shard_name(s)) for s in _SHARDS):
        return

    def clean(found: Iterable[Any]) -> bool:
        return all(rules.get(d.code) == "off" for d in found)

    shards: dict[str, list[Known]] = {s: [] for s in _SHARDS}
    if config:
        shards[config[0]].append(_config_verdict(config, clean(config_found)))
    for path, entry in files.items():
        own_config, catalog, today = entry.inputs
        if not entry.blob or own_config not in (None, config):
            continue
        refs = entry.references
        inputs = (config, catalog, today)
        if refs is None:
            verdict = Verdict(inputs, False, "", "", (), None)
        else:
            quote = refs.quote[0] if refs.quote is not None else None
            verdict = Verdict(
                inputs, clean(entry.found), refs.kind, refs.account, names_of(refs.names), quote
            )
        shards[entry.blob[0]].append(Known(path, entry.blob, verdict))
    for shard, known in shards.items():
        write_signed(folder, _shard_name(shard), _payload(known))
    keep = {_shard_name(s) for s in _SHARDS} | {_recent_name()}
    for old in folder.glob("verdicts-*.pickle"):
        if old.name not in keep:
            old.unlink(missing_ok=True)


def record(folder: Path, config: str, config_clean: bool, known: list[Known], today: str) -> None:
    """Add the hook's own verdicts to `verdicts-recent-*`: those of other days on date rules
    are dropped, and only the RECENT_CAP newest kept."""
    new = [*known, _config_verdict(config, config_clean)]  # the newest: never dropped
    paths = {k.path for k in new}
    kept = [
        k
        for k in Store(folder).recent()
        if k.path not in paths and k.verdict.inputs[2] in (None, today)
    ]
    write_signed(folder, _recent_name(), _payload([*kept, *new][-RECENT_CAP:]))
