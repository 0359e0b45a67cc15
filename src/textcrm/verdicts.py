"""The verdict store: which record files' blobs are known clean, for a hook without the parser.

`check` (through its results cache) and the hook itself record, per record file and blob id
(git's id of its bytes), what the hook needs to pass a commit without parsing: the inputs the
file's one-file rules read (textcrm.yaml's and products.yaml's blob ids, today), whether those
rules found nothing once textcrm.yaml's `rules:` applied ("clean"; None when not known), and the
file's References (the ids it names, its account and quote number) for the cross-file rules.
It also records, per textcrm.yaml blob, whether that config had problems of its own.

Two files in `.textcrm-cache/`, both written and read through `cache.write_signed` and
`cache.read_signed` (a forged, truncated or foreign file is ignored): `verdicts-*` is rewritten
from the results cache whenever `check` saves it; `verdicts-recent-*` holds the blobs the hook
judged itself, capped. Each is a dict of plain values (no class of ours, so unpickling imports
nothing), and each entry is kept as marshal bytes that are decoded only when asked for: the hook
reads a 10,000-file store in a few milliseconds. This module imports only the cache module: the
hook's fast route stays within tests/test_hook_imports.py's FAST_ROUTE budget.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from textcrm.cache import code_fingerprint, read_signed, write_signed

_FORMAT = 1
RECENT_CAP = 4096  # the hook's own verdicts kept, most recent last

# The inputs of a file's one-file rules: (config blob id, catalog digest or None, today or None).
Inputs = tuple[str, "str | None", "str | None"]


class Verdict(NamedTuple):
    """What the store knows about one blob of one record file."""

    inputs: Inputs
    clean: bool | None  # no finding of its own (after `rules:`); None: not known
    kind: str  # the References, as checks.references.References holds them; "" when the
    account: str  # file does not parse (then clean is False)
    names: tuple[str | int, ...]
    quote: tuple[str, int] | None


class Known(NamedTuple):
    """One verdict to record: the file, its blob, and the verdict."""

    path: str
    blob: str
    verdict: Verdict


def _name(which: str) -> str:
    return f"{which}-{code_fingerprint('verdicts', str(_FORMAT))}.pickle"


def _payload(configs: Mapping[str, bool], known: Iterable[Known]) -> dict[str, Any]:
    inputs: dict[Inputs, int] = {}
    entries: dict[str, bytes] = {}
    for path, blob, v in known:
        at = inputs.setdefault(v.inputs, len(inputs))
        entries[path + "\0" + blob] = marshal.dumps(
            (at, v.clean, v.kind, v.account, v.names, v.quote)
        )
    return {
        "format": _FORMAT,
        "configs": dict(configs),
        "inputs": list(inputs),
        "entries": entries,
    }


class Store:
    """Both verdict files of one CRM, as read; empty when missing or not trusted."""

    def __init__(self, folder: Path, recent_only: bool = False) -> None:
        self.folder = folder
        which = ("verdicts-recent",) if recent_only else ("verdicts-recent", "verdicts")
        self._files = [_valid(read_signed(folder / _name(w))) for w in which]

    def config_clean(self, config: str) -> bool | None:
        """Whether the textcrm.yaml of this blob id has no problem of its own; None: unknown."""
        for f in self._files:
            if config in f["configs"]:
                return bool(f["configs"][config])
        return None

    def get(self, path: str, blob: str, current: Inputs) -> Verdict | None:
        """The verdict on this blob of `path` whose inputs hold under `current` (an input the
        file's rules do not read is None in its verdict), or None."""
        key = path + "\0" + blob
        for f in self._files:
            raw = f["entries"].get(key)
            if raw is None:
                continue
            try:
                at, clean, kind, account, names, quote = marshal.loads(raw)
                inputs = tuple(f["inputs"][at])
            except (ValueError, TypeError, EOFError, IndexError):
                continue
            config, catalog, today = inputs
            if (
                config == current[0]
                and (catalog is None or catalog == current[1])
                and (today is None or today == current[2])
            ):
                return Verdict(inputs, clean, kind, account, tuple(names), quote)
        return None

    def recent(self) -> dict[str, Any]:
        return self._files[0]


def _valid(saved: Any) -> dict[str, Any]:
    """The saved dict when it has the expected shape, else an empty one."""
    if (
        isinstance(saved, dict)
        and saved.get("format") == _FORMAT
        and isinstance(saved.get("configs"), dict)
        and isinstance(saved.get("inputs"), list)
        and isinstance(saved.get("entries"), dict)
    ):
        return saved
    return {"format": _FORMAT, "configs": {}, "inputs": [], "entries": {}}


def save_from_check(
    folder: Path,
    files: Mapping[str, Any],
    written: bool,
    config: str,
    rules: Mapping[str, str],
    config_found: Iterable[Any],
) -> None:
    """Rewrite `verdicts-*` from the results cache's entries (`results.Entry` by path), judged
    under the textcrm.yaml of blob id `config` (its problems `config_found`) and its `rules:`
    overrides: when the results cache was `written`, or the verdicts file is missing."""
    if not written and (folder / _name("verdicts")).is_file():
        return

    def clean(found: Iterable[Any]) -> bool:
        return all(rules.get(d.code) == "off" for d in found)

    known = []
    for path, entry in files.items():
        own_config, catalog, today = entry.inputs
        if not entry.blob or own_config not in (None, config):
            continue
        refs = entry.references
        if refs is None:
            verdict = Verdict((config, catalog, today), False, "", "", (), None)
        else:
            verdict = Verdict((config, catalog, today), clean(entry.found), *refs)
        known.append(Known(path, entry.blob, verdict))
    write_signed(
        folder,
        _name("verdicts"),
        _payload({config: clean(config_found)}, known),
        stale_glob="verdicts-[!r]*.pickle",
    )


def record(
    folder: Path, store: Store, config: str, config_clean: bool, known: list[Known], today: str
) -> None:
    """Add the hook's own verdicts to `verdicts-recent-*`: those of other days on date rules
    are dropped, and only the RECENT_CAP newest kept."""
    old = store.recent()
    kept: list[Known] = []
    for key, raw in old["entries"].items():
        path, _sep, blob = key.partition("\0")
        try:
            at, clean, kind, account, names, quote = marshal.loads(raw)
            inputs = tuple(old["inputs"][at])
        except (ValueError, TypeError, EOFError, IndexError):
            continue
        if inputs[2] not in (None, today):
            continue
        kept.append(Known(path, blob, Verdict(inputs, clean, kind, account, names, quote)))
    new_keys = {(k.path, k.blob) for k in known}
    kept = [k for k in kept if (k.path, k.blob) not in new_keys] + known
    configs = {k: v for k, v in old["configs"].items() if k != config}
    configs = dict(list(configs.items())[-15:]) | {config: config_clean}
    write_signed(
        folder,
        _name("verdicts-recent"),
        _payload(configs, kept[-RECENT_CAP:]),
        stale_glob="verdicts-recent-*.pickle",
    )
