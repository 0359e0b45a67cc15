"""The verdict store: which record files' blobs are known clean, for a hook without the parser.

`check` (through its results cache) and the hook itself record, per record file and blob id
(git's id of its bytes), what the hook needs to pass a commit without parsing: the inputs the
file's one-file rules read (textcrm.yaml's and products.yaml's blob ids, and the days over
which its findings hold, as the results cache keeps them), whether those rules found nothing
once textcrm.yaml's `rules:` applied ("clean"; None when not known), and what the cross-file
rules read of it: the ids it names (by form of naming, without lines), its
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
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from textcrm.cache import code_fingerprint, read_signed, write_signed

_FORMAT = 3
_SHARDS = "0123456789abcdef"
RECENT_CAP = 4096  # the hook's own verdicts kept, most recent last
CONFIG = "textcrm.yaml"

# The inputs of a file's one-file rules: (config blob id, catalog digest or None, the days its
# findings hold or None): the days as the results cache keeps them, ordinals of the first day
# and of the day after the last (results.Entry).
Inputs = tuple[str, "str | None", "tuple[int, int] | None"]
# The inputs a commit is judged with: the staged config and catalog, and today's ordinal.
Current = tuple[str, str, int]


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


def names_of(flat: tuple[str | int, ...]) -> tuple[str, ...]:
    """The (form, id) pairs of References.names ((form, id, line) flat), each once, flat."""
    pairs = dict.fromkeys(zip(flat[0::3], flat[1::3], strict=True))
    return tuple(chain.from_iterable(pairs))  # type: ignore[arg-type]


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


def holds(v: Verdict, current: Current) -> bool:
    """Whether a verdict's inputs are those of `current` (None: an input it does not read;
    a range of days holds when it holds today)."""
    config, catalog, days = v.inputs
    return (
        config == current[0]
        and (catalog is None or catalog == current[1])
        and (days is None or days[0] <= current[2] < days[1])
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

    def get(self, path: str, blob: str, current: Current) -> Verdict | None:
        """The verdict on this blob of `path` whose inputs hold under `current` (an input the
        file's rules do not read is None in its verdict), or None."""
        return next((v for v in self.candidates(path, blob) if holds(v, current)), None)

    def config_clean(self, config: str) -> bool:
        """Whether the textcrm.yaml of this blob id is known to have no problem of its own."""
        # textcrm.yaml's verdict reads no catalog and no day: any stand in for them.
        v = self.get(CONFIG, config, (config, "", 0))
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


class _Part:
    """One part of check's verdicts being written: its inputs table and encoded entries."""

    def __init__(self, config: str, saved: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self.inputs: dict[Inputs, int] = {}
        self.entries: dict[str, bytes] = {}
        if saved is not None:
            self.inputs = {tuple(i): n for n, i in enumerate(saved["inputs"])}
            self.entries = dict(saved["entries"])

    def put(self, path: str, blob: str, inputs: Inputs, body: tuple[Any, ...]) -> None:
        at = self.inputs.setdefault(inputs, len(self.inputs))
        self.entries[path] = bytes.fromhex(blob) + marshal.dumps((at, *body))

    def payload(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "config": self.config,
            "inputs": list(self.inputs),
            "entries": self.entries,
        }


def save_from_check(
    folder: Path,
    files: Mapping[str, Any],
    previous: Mapping[str, Any],
    written: bool,
    config: str,
    rules: Mapping[str, str],
    config_found: Iterable[Any],
) -> None:
    """Bring the `verdicts-*` parts up to date with the results cache's entries
    (`results.Entry` by path; `previous`, those it was read with), judged under the
    textcrm.yaml of blob id `config` (its problems `config_found`) and its `rules:`
    overrides. Only the parts holding an entry that changed are rewritten; all of them after
    a change of textcrm.yaml, when one is missing or unreadable, or when much changed."""
    names = {shard: _shard_name(shard) for shard in _SHARDS}
    present = all(os.path.isfile(folder / name) for name in names.values())
    if not written and present:
        return
    if not config:
        return  # textcrm.yaml could not be read: nothing to judge by

    def clean(found: Iterable[Any]) -> bool:
        return all(rules.get(d.code) == "off" for d in found)

    changed = [p for p, e in files.items() if previous.get(p) is not e]
    removed = [p for p in previous if p not in files]
    parts: dict[str, _Part] | None = None
    todo = list(files)
    if present and len(changed) + len(removed) <= len(files) // 8:
        touched = {config[0]} | {e.blob[0] for p in changed if (e := files[p]).blob}
        touched |= {e.blob[0] for p in (*changed, *removed) if (e := previous.get(p)) and e.blob}
        parts = {}
        for shard in touched & set(_SHARDS):
            saved = _valid(read_signed(folder / names[shard]))
            if saved.get("config") != config:
                parts = None  # another textcrm.yaml, or not readable: from scratch
                break
            parts[shard] = _Part(config, saved)
        if parts is not None:
            for p in (*changed, *removed):
                old = previous.get(p)
                if old is not None and old.blob and old.blob[0] in parts:
                    parts[old.blob[0]].entries.pop(p, None)
            todo = changed
    if parts is None:
        parts = {shard: _Part(config) for shard in _SHARDS}
    config_body = (clean(config_found), "", "", (), None)
    parts[config[0]].put(CONFIG, config, (config, None, None), config_body)
    for path in todo:
        entry = files[path]
        own_config, catalog, today = entry.inputs
        if not entry.blob or own_config not in (None, config) or entry.blob[0] not in parts:
            continue
        refs = entry.references
        if refs is None:
            body: tuple[Any, ...] = (False, "", "", (), None)
        else:
            quote = refs.quote[0] if refs.quote is not None else None
            body = (clean(entry.found), refs.kind, refs.account, names_of(refs.names), quote)
        parts[entry.blob[0]].put(path, entry.blob, (config, catalog, today), body)
    for shard, part in parts.items():
        write_signed(folder, names[shard], part.payload())
    keep = {*names.values(), _recent_name()}
    for old in folder.glob("verdicts-*.pickle"):
        if old.name not in keep:
            old.unlink(missing_ok=True)


def record(folder: Path, config: str, config_clean: bool, known: list[Known], today: int) -> None:
    """Add the hook's own verdicts to `verdicts-recent-*`: those that no longer hold on
    `today` (an ordinal) are dropped, and only the RECENT_CAP newest kept."""
    new = [*known, _config_verdict(config, config_clean)]  # the newest: never dropped
    paths = {k.path for k in new}
    kept = [
        k
        for k in Store(folder).recent()
        if k.path not in paths
        and ((days := k.verdict.inputs[2]) is None or days[0] <= today < days[1])
    ]
    write_signed(folder, _recent_name(), _payload([*kept, *new][-RECENT_CAP:]))
