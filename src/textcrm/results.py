"""The results cache: each file's check findings kept by its content, so `check` costs what changed.

This module keeps, per record file and keyed by its content (git's blob id, with its kind and
path), what the checks found in it and what the cross-file rules need of it
(`checks.references.References`), with the inputs those findings read (`checks.FILE_INPUTS`:
the config's and catalog's digests, and the range of days over which the date findings hold,
`checks.findings_change`). A warm `check` lists the files, stats them (a file's content is
read and hashed only when its stat changed), computes only the entries that are missing or
whose inputs changed, re-runs the cross-file rules from every file's References, and reports:
exactly what `loader.load` reports. A cold `check` (no cache yet, or `--no-cache`) computes
every entry, on every core: each process reads, parses and checks its files and keeps only
their entries (`FileRules`), so no record crosses between processes.

The cache is one file in `.textcrm-cache/`, written and read through `cache.write_signed` and
`cache.read_signed` (a forged or corrupt one is ignored). Besides the entries it keeps each
file's stat with its blob id. As in git, a stat is trusted only for a file last modified before
the cache was written ("racily clean" files, modified in the same clock tick, are re-read).
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from textcrm import checks, layout, loader, verdicts
from textcrm.cache import code_fingerprint, read_signed, write_signed
from textcrm.checks.references import (
    References,
    account_mismatches,
    duplicate_quotes,
    references_of,
    unresolved,
)
from textcrm.diagnostics import Diagnostic, sort_key
from textcrm.git import blob_id
from textcrm.loader import (
    DiskReader,
    Reader,
    apply_severities,
    classify_listing,
    config_of,
    load,
    on_every_core,
    parse_chunk,
    read_catalog,
    record_ids,
)
from textcrm.model import Config, Product
from textcrm.repository import Repository

# A stat as the cache keeps it: modification and change times, size and inode, packed (one
# object rather than five to load per file).
StatKey = bytes
_STAT = struct.Struct("<qqQQ")
_NOT_READ = (None, None, None)
_KINDS = ("opportunities", "accounts", "contacts", "competitors", "products")


def _key_of(st: os.stat_result) -> StatKey | None:
    """A regular file's stat as the cache keeps it; None for anything else (a symlink is
    re-read every time: the reader decides whether it may follow it)."""
    if not stat.S_ISREG(st.st_mode):
        return None
    return _STAT.pack(st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def _stat_key(full: str) -> StatKey | None:
    """The stat key of the file at `full` (None when it has none, _key_of)."""
    try:
        return _key_of(os.lstat(full))
    except OSError:
        return None


@dataclass(frozen=True)
class CheckResult:
    """What `check` reports: the diagnostics, and how many files of each kind were checked."""

    diagnostics: list[Diagnostic]
    checked: dict[str, int]

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")


class Entry(NamedTuple):
    """One file as the cache keeps it: its stat (None for a file whose stat is not trusted)
    and blob id; its parse problems and one-file rules' findings (before the `rules:`
    overrides), its References (None when it does not parse), the number of products (the
    catalog); and the inputs the findings were computed with: (config digest, catalog digest,
    days), None for an input the file's rules do not read. `days` is the range of today's
    date over which the findings hold, as proleptic ordinals: first <= today < end
    (`checks.findings_change`; end is _FOREVER when no later day changes them)."""

    stat: StatKey | None
    blob: str
    inputs: tuple[str | None, str | None, tuple[int, int] | None]
    references: References | None
    found: tuple[Diagnostic, ...]
    products: int


# A file's record job: (kind, path, id, bytes), the bytes None when the file is still to be
# read (by whichever process computes its entry).
Job = tuple[str, str, str, bytes | None]
_FOREVER = date.max.toordinal() + 1


def check(
    root: Path,
    today: date,
    reader: Reader | None = None,
    paths: Iterable[str] | None = None,
    use_cache: bool = True,
) -> CheckResult:
    """Check the repository at `root` as of `today` (only `paths` when given), as
    `loader.load` does: the working tree through the results cache (without `use_cache`,
    neither read nor written: every entry is computed); from another reader (the index, a
    commit), by a full load."""
    if reader is not None and not isinstance(reader, DiskReader):
        result = load(root, today, reader=reader, paths=paths, use_cache=use_cache)
        return CheckResult(result.diagnostics, result.checked)
    return _Check(root, today, reader or DiskReader(root), paths, use_cache).run()


class _Store:
    """The results cache file: an Entry per record file, by path (none at all without a
    folder: nothing is read or written)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.name = ""
        self.written_ns = 0
        if folder is not None:
            self.name = f"results-{code_fingerprint('results')}.pickle"
            # Files modified from this instant on may be racily clean (module docstring).
            with contextlib.suppress(OSError):
                self.written_ns = os.stat(folder / self.name).st_mtime_ns
        saved = read_signed(folder / self.name) if folder and self.written_ns else None
        self.files: dict[str, Entry] = saved if isinstance(saved, dict) else {}
        self.now: dict[str, Entry] = {}  # the entries of the files this run looked at
        self.changed = False

    def save(self, whole: bool) -> tuple[dict[str, Entry], bool]:
        """Write the cache if it changed; after a whole-repository run, keep only the files
        the repository has now. The entries kept, and whether they were written."""
        files = self.now if whole else {**self.files, **self.now}
        if self.folder is None:
            return files, False
        if self.changed or len(files) != len(self.files):
            write_signed(self.folder, self.name, files, stale_glob="results-*.pickle")
            return files, True
        return files, False


class _Check:
    """One `check` run through the results cache."""

    def __init__(
        self,
        root: Path,
        today: date,
        reader: DiskReader,
        paths: Iterable[str] | None,
        use_cache: bool = True,
    ) -> None:
        self.root = root
        self.today = today
        self.reader = reader
        self.scope = frozenset(paths) if paths is not None else None
        config_data = reader.read(layout.CONFIG_FILE)
        self.config, self.config_diagnostics = config_of(config_data)
        # config_of raised if the config could not be read.
        self.config_digest = blob_id(config_data) if isinstance(config_data, bytes) else ""
        self.classified = classify_listing(reader.files())
        self.ids = {k: frozenset(v) for k, v in record_ids(self.classified).items()}
        self.store = _Store(root / layout.CACHE_DIR if use_cache else None)
        self.data: dict[str, bytes] = {}  # bytes read this run (a changed stat)
        self.entries: dict[str, Entry] = {}
        self._products: tuple[Product, ...] | None = None
        self._prefix = os.path.join(str(root), "")
        self.catalog_digest = self._catalog_digest()
        self._day = today.toordinal()

    def run(self) -> CheckResult:
        """The diagnostics and counts `loader.load` would give, and the cache saved."""
        scope = self.scope
        wanted = [p for p in self.classified if p != layout.CONFIG_FILE]
        if scope is not None:
            wanted = [p for p in wanted if p in scope or p == layout.CATALOG_FILE]
        self._resolve(wanted)
        if scope is not None:
            # Contacts named by the checked opportunities, for contact-account-mismatch.
            extra = set()
            for path in wanted:
                refs = self.entries[path].references
                if refs is not None and refs.kind == "opportunity":
                    for form, name, _line in refs.named():
                        p = layout.record_path("contact", name) if form == "contact" else ""
                        if p in self.classified and p not in self.entries:
                            extra.add(p)
            self._resolve(sorted(extra))
        files, written = self.store.save(whole=scope is None)
        if self.store.folder is not None:
            # What the hook reads without the parser (textcrm.verdicts).
            verdicts.save_from_check(
                self.store.folder,
                files,
                self.store.files,
                written,
                self.config_digest,
                self.config.rules,
                self.config_diagnostics,
            )

        diagnostics: list[Diagnostic] = list(self.config_diagnostics)
        for path, entry in self.entries.items():
            if scope is None or path in scope:
                diagnostics.extend(entry.found)
        diagnostics.extend(
            d for d in self.reader.path_problems(self.config) if scope is None or d.path in scope
        )
        diagnostics.extend(self._cross_file())
        diagnostics = apply_severities(diagnostics, self.config.rules)
        diagnostics.sort(key=sort_key)
        checked = dict.fromkeys(_KINDS, 0)
        for path, (kind, _id) in self.classified.items():
            if kind in layout.KIND_FOLDER and (scope is None or path in scope):
                checked[layout.KIND_FOLDER[kind]] += 1
        catalog = self.entries.get(layout.CATALOG_FILE)
        if catalog is not None and (scope is None or layout.CATALOG_FILE in scope):
            checked["products"] = catalog.products
        return CheckResult(diagnostics, checked)

    def _cross_file(self) -> list[Diagnostic]:
        """The CROSS_FILE rules, from the References of the files loaded."""
        scope = self.scope
        checked: dict[str, References] = {}
        holders: dict[str, list[str]] = {}
        accounts: dict[str, str] = {}
        for path, entry in self.entries.items():
            refs = entry.references
            if refs is None:
                continue
            if refs.kind == "opportunity" and refs.quote is not None:
                holders.setdefault(refs.quote[0], []).append(path)
            elif refs.kind == "contact":
                accounts[self.classified[path][1]] = refs.account
            if scope is None or path in scope:
                checked[path] = refs
        found: list[Diagnostic] = []
        found.extend(unresolved(checked, self.ids))
        found.extend(duplicate_quotes(checked, holders))
        found.extend(account_mismatches(checked, accounts))
        return found

    # --- one file's content key, through the stat cache ----------------------------------

    def _stat(self, path: str) -> tuple[os.stat_result | None, StatKey | None]:
        """The file's stat, and its key when it is a regular file (_stat_key)."""
        try:
            st = os.lstat(self._prefix + path)
        except OSError:
            return None, None
        return st, _key_of(st)

    def _blob(self, path: str) -> tuple[str | Diagnostic, StatKey | None]:
        """The file's blob id (its bytes read only when its stat changed) or why it cannot be
        read, and its stat when that can be trusted next time."""
        st, key = self._stat(path)
        if st is not None and key is not None:
            old = self.store.files.get(path)
            if old is not None and old.stat == key:
                if st.st_mtime_ns < self.store.written_ns:
                    return old.blob, key
                # Racily clean: re-read, and write a cache that makes the stat trusted.
                self.store.changed = True
        data = self.reader.read(path)
        if isinstance(data, Diagnostic):
            return data, None
        self.data[path] = data
        return blob_id(data), key

    def _catalog_digest(self) -> str:
        """What the catalog's readers key on: its blob id, or why there is none."""
        if layout.CATALOG_FILE not in self.classified:
            return "no catalog"
        blob, _stat = self._blob(layout.CATALOG_FILE)
        return blob if isinstance(blob, str) else f"unreadable: {blob.message}"

    def _valid(self, entry: Entry) -> bool:
        config, catalog, days = entry.inputs
        return (
            (config is None or config == self.config_digest)
            and (catalog is None or catalog == self.catalog_digest)
            and (days is None or days[0] <= self._day < days[1])
        )

    # --- entries: from the cache, else by parsing ------------------------------------------

    def _resolve(self, paths: list[str]) -> None:
        """The entries of `paths`: cached ones whose inputs still hold, the rest computed."""
        todo: list[Job] = []
        keys: list[StatKey | None] = []
        store = self.store
        for path in paths:
            kind, record_id = self.classified[path]
            entry = store.files.get(path)
            if entry is None:
                # A file the cache does not know (every file, the first time): its stat and
                # bytes are read by the process that computes its entry.
                data = self.data.get(path)
                todo.append((kind, path, record_id, data))
                keys.append(self._stat(path)[1] if data is not None else None)
                continue
            blob, key = self._blob(path)
            if isinstance(blob, Diagnostic):
                self.entries[path] = Entry(None, "", _NOT_READ, None, (blob,), 0)
                continue
            if entry.blob == blob and self._valid(entry):
                if entry.stat != key:
                    entry = entry._replace(stat=key)
                    store.changed = True
                self.entries[path] = store.now[path] = entry
                continue
            # Changed, or its stat held but the inputs of its findings changed (then its
            # bytes are still to be read).
            todo.append((kind, path, record_id, self.data.pop(path, None)))
            keys.append(key)
        if not todo:
            return
        # Shared work is sent the catalog's products (a helper would otherwise parse the
        # catalog for every chunk it takes); a few files read it only if they need it.
        shared = len(todo) >= loader.PARALLEL_THRESHOLD
        rules = FileRules(
            self.config,
            self._catalog_products() if shared else None,
            self.today,
            self.config_digest,
            self.catalog_digest,
            self.reader,
            store.folder is not None,
        )
        for key, job, entry in zip(keys, todo, on_every_core(rules, todo), strict=True):
            if not entry.blob:  # it could not be read: reported, not kept
                self.entries[job[1]] = entry
                continue
            if job[3] is not None:  # read here: the stat taken here goes with it
                entry = entry._replace(stat=key)
            self.entries[job[1]] = store.now[job[1]] = entry
            store.changed = True

    def _catalog_products(self) -> tuple[Product, ...]:
        """The catalog's products (parsed once per run, when some file is computed)."""
        if self._products is None:
            self._products = ()
            if layout.CATALOG_FILE in self.classified:
                data = self.data.get(layout.CATALOG_FILE) or self.reader.read(layout.CATALOG_FILE)
                if isinstance(data, bytes):
                    self._products = read_catalog(data)[0] or ()
        return self._products


@dataclass(frozen=True)
class FileRules:
    """What computes the entries of record files (`Job`s), on whichever core: read the files
    not read yet, parse them, run the one-file rules on a Repository of these records only,
    and keep what check needs: the findings, the References and the inputs. A helper process
    sends back these small entries, not records."""

    config: Config
    products: tuple[Product, ...] | None  # None: read from the catalog when needed
    today: date
    config_digest: str
    catalog_digest: str
    reader: DiskReader
    stats: bool  # take the stat of each file read here, before reading it

    def __call__(self, jobs: list[Job]) -> list[Entry]:
        """The entry of each job: its stat when this read the file (and `stats`), else None;
        its blob '' when it cannot be read."""
        read: list[tuple[str, str, str, bytes]] = []
        blobs: dict[str, tuple[str, StatKey | None]] = {}
        unreadable: dict[str, Entry] = {}
        prefix = os.path.join(str(self.reader.root), "")
        for kind, path, record_id, data in jobs:
            key = None
            if data is None:
                key = _stat_key(prefix + path) if self.stats else None
                got = self.reader.read(path)
            else:
                got = data
            if isinstance(got, Diagnostic):
                unreadable[path] = Entry(None, "", _NOT_READ, None, (got,), 0)
                continue
            blobs[path] = (blob_id(got), key)
            read.append((kind, path, record_id, got))
        parsed = parse_chunk(read)
        records: dict[str, dict[str, Any]] = {k: {} for k in layout.KIND_FOLDER}
        products = self.products
        for (kind, _path, _id, _data), (record, _found) in zip(read, parsed, strict=True):
            if kind == "catalog":
                products = record or ()
            elif record is not None:
                records[kind][record.id] = record
        if products is None:
            products = ()
            if any(o.line_items for o in records["opportunity"].values()):
                catalog = self.reader.read(layout.CATALOG_FILE)
                if isinstance(catalog, bytes):
                    products = read_catalog(catalog)[0] or ()
        repo = Repository(
            root=self.reader.root,
            config=self.config,
            opportunities=records["opportunity"],
            accounts=records["account"],
            contacts=records["contact"],
            competitors=records["competitor"],
            products={p.sku: p for p in products},
            product_list=products,
            # The one-file rules read no other file's id (checks.CROSS_FILE holds the rules
            # that do), so a helper process is not sent every id.
            ids={},
            scope=frozenset(job[1] for job in read),
        )
        by_path: dict[str, list[Diagnostic]] = {}
        for d in checks.run_one_file_rules(repo, self.today):
            by_path.setdefault(d.path, []).append(d)
        computed: dict[str, Entry] = {}
        for (kind, path, _id, _data), (record, found) in zip(read, parsed, strict=True):
            own = tuple(found) + tuple(by_path.get(path, ()))
            blob, key = blobs[path]
            if kind == "catalog":
                count = len(record) if record else 0
                computed[path] = Entry(key, blob, _NOT_READ, None, own, count)
            elif record is None:
                computed[path] = Entry(key, blob, _NOT_READ, None, own, 0)
            else:
                refs = references_of(kind, record)
                computed[path] = Entry(key, blob, self._inputs(kind, record), refs, own, 0)
        return [unreadable.get(job[1]) or computed[job[1]] for job in jobs]

    def _inputs(
        self, kind: str, record: Any
    ) -> tuple[str | None, str | None, tuple[int, int] | None]:
        """The inputs a file's one-file rules read (checks.FILE_INPUTS), with the range of
        days its findings hold for."""
        reads = checks.FILE_INPUTS[kind]
        catalog = "catalog" in reads and (kind != "opportunity" or bool(record.line_items))
        days = None
        if "today" in reads:
            until = checks.findings_change(kind, self.config, record, self.today)
            days = (self.today.toordinal(), _FOREVER if until is None else until.toordinal())
        return (
            self.config_digest if "config" in reads else None,
            self.catalog_digest if catalog else None,
            days,
        )
