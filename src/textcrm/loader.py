"""The orchestrator: discover -> read -> parse -> Repository -> checks -> LoadResult.

The same code loads from disk, from the git index (the hook) or from a commit (`--at`): a
`Reader` lists the record files and returns their bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from textcrm import layout
from textcrm.cache import ParseCache, content_key
from textcrm.diagnostics import Diagnostic, error, sort_key
from textcrm.errors import ConfigError
from textcrm.git import blob_id
from textcrm.model import Config, Opportunity, Product
from textcrm.parse import parse_catalog, parse_config, parse_record
from textcrm.repository import LoadResult, Repository
from textcrm.schema import Field

# Below this many files to parse, a second process costs more than it saves.
PARALLEL_THRESHOLD = 1500
# The most files in one chunk of work handed to a helper process (on_every_core): small
# enough that the processes finish close together, large enough that handing it over is cheap.
CHUNK = 128
# A scoped load (the hook, `check PATH`) that parses fewer than 1/SCOPED_CACHE_RATIO of the
# files skips the parse cache: unpickling every cached record (~0.15 ms each) costs more
# than parsing the few files needed (~1 ms each).
SCOPED_CACHE_RATIO = 10

J = TypeVar("J")
R = TypeVar("R")


class Reader(Protocol):
    """Where record files come from: the working tree, the git index, or a commit."""

    def files(self) -> list[str]:
        """Record files, relative to the CRM root with forward slashes."""
        ...

    def read(self, relpath: str) -> bytes | Diagnostic:
        """A file's bytes, or the reason it cannot be read."""
        ...


class DiskReader:
    """Reads the working tree. Nothing is read through a symlink (of a file or of a record
    folder) that leads outside the root: see `layout.resolve_inside`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # os.path rather than pathlib: this runs once per file, tens of thousands of times.
        self._prefix = os.path.join(str(root), "")
        # Record folders that lead outside the root, with the reason; checked once, not per file.
        self._outside: dict[str, str] = {}
        for folder in layout.FOLDERS:
            try:
                layout.resolve_inside(root, folder)
            except layout.OutsideRepository as exc:
                self._outside[folder] = exc.reason

    def files(self) -> list[str]:
        found = layout.discover(self.root)
        if self._outside:
            found = [p for p in found if p.partition("/")[0] not in self._outside]
        return found

    def read(self, relpath: str) -> bytes | Diagnostic:
        full = self._prefix + relpath
        folder = relpath.partition("/")[0]
        if folder in self._outside:
            return error(relpath, 1, 1, "outside-repository", f"{folder}/ {self._outside[folder]}")
        try:
            if os.path.islink(full):
                try:
                    layout.resolve_inside(self.root, relpath)
                except layout.OutsideRepository:
                    return error(
                        relpath,
                        1,
                        1,
                        "unreadable-file",
                        "symlink points outside the repository; not followed",
                    )
            with open(full, "rb") as f:
                return f.read()
        except IsADirectoryError:
            return error(relpath, 1, 1, "unreadable-file", "is a folder, not a file")
        except OSError as exc:
            return error(relpath, 1, 1, "unreadable-file", f"cannot be read: {exc.strerror or exc}")

    def path_problems(self, config: Config) -> list[Diagnostic]:
        """Paths the repository names that lead outside it: record folders, company.logo and
        template overrides; each is refused where it is read, and reported here by `check`."""
        found = [
            error(
                folder, 1, 1, "outside-repository", f"this folder {reason}; no file in it is read"
            )
            for folder, reason in self._outside.items()
        ]
        logo = config.company.logo if config.company is not None else ""
        if logo:
            try:
                layout.resolve_inside(self.root, logo)
            except layout.OutsideRepository as exc:
                line, column = _key_position(self.read(layout.CONFIG_FILE), "logo")
                found.append(
                    error(
                        layout.CONFIG_FILE,
                        line,
                        column,
                        "outside-repository",
                        f"company.logo `{logo}` {exc.reason}; it is not read: give the path "
                        "of an image inside the repository, such as logo.svg",
                    )
                )
        found.extend(self._template_problems())
        return found

    def _template_problems(self) -> list[Diagnostic]:
        """Template overrides (templates/) that are symlinks leading outside the root."""
        top = layout.TEMPLATES_DIR
        if not os.path.lexists(self._prefix + top):
            return []
        found = []
        try:
            layout.resolve_inside(self.root, top)
        except layout.OutsideRepository as exc:
            message = f"this folder {exc.reason}; no template override in it is used"
            return [error(top, 1, 1, "outside-repository", message)]
        for folder, dirs, files in os.walk(self._prefix + top):
            for name in sorted([*dirs, *files]):
                full = os.path.join(folder, name)
                if not os.path.islink(full):
                    continue
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                try:
                    layout.resolve_inside(self.root, rel)
                except layout.OutsideRepository as exc:
                    found.append(
                        error(
                            rel,
                            1,
                            1,
                            "outside-repository",
                            f"this template override {exc.reason}; it is not read, and "
                            "the template textcrm ships is used instead",
                        )
                    )
        return found


def _key_position(data: bytes | Diagnostic, key: str) -> tuple[int, int]:
    """Line and column of the first `key:` in a YAML file's bytes (1, 1 when not found)."""
    if isinstance(data, bytes):
        text = data.decode("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.lstrip(" -{")
            if stripped.startswith(f"{key}:"):
                return number, len(line) - len(stripped) + 1
            at = line.find(f" {key}:")
            if at >= 0:
                return number, at + 2
    return 1, 1


class OverlayReader:
    """A reader that answers some files from memory (an editor's unsaved buffers) and the rest
    from another reader."""

    def __init__(self, base: Reader, files: Mapping[str, bytes]) -> None:
        self.base = base
        self.overlay = dict(files)

    def files(self) -> list[str]:
        return sorted(set(self.base.files()) | set(self.overlay))

    def read(self, relpath: str) -> bytes | Diagnostic:
        got = self.overlay.get(relpath)
        return got if got is not None else self.base.read(relpath)


def load_config(reader: Reader) -> tuple[Config, list[Diagnostic]]:
    """Read and parse textcrm.yaml; raise ConfigError when it cannot be used."""
    return config_of(reader.read(layout.CONFIG_FILE))


def config_of(data: bytes | Diagnostic) -> tuple[Config, list[Diagnostic]]:
    """Parse textcrm.yaml's bytes (or the reason they cannot be read); raise ConfigError when
    it cannot be used."""
    if isinstance(data, Diagnostic):
        raise ConfigError([data])
    config, diagnostics = parse_config(layout.CONFIG_FILE, data)
    if config is None:
        raise ConfigError([d for d in diagnostics if d.severity == "error"] or diagnostics)
    return config, diagnostics


def read_record(kind: str, path: str, record_id: str, data: bytes) -> tuple[Any, list[Diagnostic]]:
    """One version of one record file (a past version for history, a buffer, an edit).

    Returns the record (None when it cannot be used) and the file's own problems; no check
    that needs the other files runs.
    """
    return parse_record(kind, path, record_id, data)


def front_matter(data: bytes) -> bytes:
    """A record file cut after its front matter (notes left out, nothing decoded): all that
    `read_record` needs of a past version's fields. History parses each distinct cut once,
    so an edit of the notes alone costs no parse."""
    from textcrm.source import front_matter_bytes

    return front_matter_bytes(data)


def read_config(
    data: bytes, path: str = layout.CONFIG_FILE
) -> tuple[Config | None, list[Diagnostic]]:
    """One version of textcrm.yaml: the config (None when it cannot be used) and its problems."""
    return parse_config(path, data)


def read_catalog(
    data: bytes, path: str = layout.CATALOG_FILE
) -> tuple[tuple[Product, ...] | None, list[Diagnostic]]:
    """One version of products.yaml: the products (None when unusable) and its problems."""
    return parse_catalog(path, data)


def read_value(field: Field, text: str) -> tuple[Any, str]:
    """One value of a record field, given as the YAML text a record file would hold (what an
    edit is about to write): the value (None when empty) and the problem ('' when none)."""
    from textcrm.parse import Context, Invalid, convert
    from textcrm.yamlnodes import compose

    node, problem = compose(f"v: {text}")
    if problem is not None or node is None:
        return None, f"{field.name}: `{text}` is not a YAML value"
    ctx = Context("", 0)
    try:
        value = convert(node.value[0][1], field.type, field.name, ctx)
    except Invalid as exc:
        return None, exc.message
    if ctx.diagnostics:
        return None, ctx.diagnostics[0].message
    return value, ""


def repository_of(
    root: Path,
    config: Config,
    products: Iterable[Product] = (),
    opportunities: Mapping[str, Opportunity] | None = None,
) -> Repository:
    """A Repository of the given records only (a past state for history, a single deal)."""
    product_list = tuple(products)
    opps = dict(opportunities or {})
    return Repository(
        root=root,
        config=config,
        opportunities=opps,
        accounts={},
        contacts={},
        competitors={},
        products={p.sku: p for p in product_list},
        product_list=product_list,
        ids={"opportunity": frozenset(opps)} if opps else {},
    )


def _parse_one(job: tuple[str, str, str, bytes]) -> tuple[Any, list[Diagnostic]]:
    kind, path, record_id, data = job
    if kind == "catalog":
        return parse_catalog(path, data)
    return parse_record(kind, path, record_id, data)


def parse_chunk(
    jobs: Sequence[tuple[str, str, str, bytes]],
) -> list[tuple[Any, list[Diagnostic]]]:
    """Parse record files (kind, path, id, bytes), the catalog too, in one process: each
    file's record (None when it cannot be used) and its own problems."""
    return [_parse_one(j) for j in jobs]


def parse_files(jobs: list[tuple[str, str, str, bytes]]) -> list[tuple[Any, list[Diagnostic]]]:
    """Parse many files, on every core for a large repository (`on_every_core`)."""
    return on_every_core(parse_chunk, jobs)


def on_every_core(work: Callable[[list[J]], list[R]], jobs: list[J]) -> list[R]:
    """`work(jobs)`, on every core for a large repository: `work` maps a list of jobs to one
    result per job and must be picklable (a module-level function, or an instance of a
    module-level class), as must the jobs and the results.

    The jobs are cut into small chunks, queued for the helper processes from the front; the
    main process takes chunks from the back for as long as no helper has started them, so all
    the processes finish together however busy each core is, and what the main process
    computes needs no transfer between processes.
    """
    cores = os.cpu_count() or 1
    if len(jobs) < PARALLEL_THRESHOLD or cores < 2:
        return work(jobs)
    from concurrent.futures import ProcessPoolExecutor  # only big loads pay for its import

    helpers = min(cores, 4) - 1
    size = max(1, min(CHUNK, len(jobs) // (16 * (helpers + 1))))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    own: dict[int, list[R]] = {}
    with ProcessPoolExecutor(max_workers=helpers) as pool:
        futures = [pool.submit(work, chunk) for chunk in chunks]
        for index in range(len(chunks) - 1, -1, -1):
            # A chunk a helper has not taken yet is cancelled and done here; the helpers take
            # chunks in order, so once one is taken every earlier one is too.
            if not futures[index].cancel():
                break
            own[index] = work(chunks[index])
        results: list[R] = []
        for index, future in enumerate(futures):
            results.extend(own[index] if index in own else future.result())
    return results


def load(
    root: Path,
    today: date,
    reader: Reader | None = None,
    paths: Iterable[str] | None = None,
    use_cache: bool = True,
    run_checks: bool = True,
) -> LoadResult:
    """Load the repository at `root` and check it as of `today`.

    With `paths`, only those files (relative to the root) are checked and reported, but
    references resolve against every file the reader lists.
    """
    return _load(root, today, reader, paths, use_cache, run_checks)


def classify_listing(listed: list[str]) -> dict[str, tuple[str, str]]:
    """The record files of a listing (config and catalog included): path -> (kind, id)."""
    return {p: c for p in listed if (c := layout.classify(p)) is not None}


def record_ids(classified: Mapping[str, tuple[str, str]]) -> dict[str, set[str]]:
    """The ids of every record file listed, parsed or not, by kind."""
    ids: dict[str, set[str]] = {k: set() for k in layout.KIND_FOLDER}
    for kind, record_id in classified.values():
        if kind in ids:
            ids[kind].add(record_id)
    return ids


def _read_and_parse(
    root: Path,
    reader: Reader,
    classified: Mapping[str, tuple[str, str]],
    scope: frozenset[str] | None,
    use_cache: bool,
) -> dict[str, tuple[Any, list[Diagnostic]]]:
    """Parse the record files and the catalog (in `scope`, plus what scoped rules need),
    through the parse cache."""
    wanted = [p for p in classified if p != layout.CONFIG_FILE]
    if scope is not None:
        wanted = [p for p in wanted if p in scope or p == layout.CATALOG_FILE]
    small = scope is not None and len(wanted) * SCOPED_CACHE_RATIO < len(classified)
    cache = ParseCache(root / layout.CACHE_DIR if use_cache and not small else None)
    results: dict[str, tuple[Any, list[Diagnostic]]] = {}

    def parse_paths(targets: list[str]) -> None:
        # A reader that knows blob ids (git) is asked for bytes only on a cache miss.
        known_blob = getattr(reader, "blob_id", None)
        misses = []
        for path in targets:
            kind = classified[path][0]
            bid = known_blob(path) if known_blob else None
            hit = cache.get(content_key(kind, path, bid)) if bid else None
            if hit is not None:
                results[path] = hit
            else:
                misses.append(path)
        prefetch = getattr(reader, "prefetch", None)
        if prefetch and misses:
            prefetch(misses)
        jobs, keys = [], []
        for path in misses:
            kind, record_id = classified[path]
            data = reader.read(path)
            if isinstance(data, Diagnostic):
                results[path] = (None, [data])
                continue
            key = content_key(kind, path, blob_id(data))
            hit = cache.get(key)
            if hit is not None:
                results[path] = hit
                continue
            jobs.append((kind, path, record_id, data))
            keys.append(key)
        for key, job, result in zip(keys, jobs, parse_files(jobs), strict=True):
            results[job[1]] = result
            cache.put(key, result)

    parse_paths(wanted)
    if scope is not None:
        # Contacts named by the checked opportunities, for contact-account-mismatch.
        extra = set()
        for path in wanted:
            record = results[path][0]
            if isinstance(record, Opportunity):
                for role in record.contacts:
                    if role.contact is None:
                        continue
                    p = layout.record_path("contact", role.contact)
                    if p in classified and p not in results:
                        extra.add(p)
        parse_paths(sorted(extra))
    cache.save(prune=scope is None)
    return results


def _assemble(
    root: Path,
    config: Config,
    classified: Mapping[str, tuple[str, str]],
    results: Mapping[str, tuple[Any, list[Diagnostic]]],
    scope: frozenset[str] | None,
) -> Repository:
    """The Repository of parsed records (records that failed to parse are only ids)."""
    records: dict[str, dict[str, Any]] = {k: {} for k in layout.KIND_FOLDER}
    products: tuple[Product, ...] = ()
    for path, (record, _found) in results.items():
        kind = classified[path][0]
        if kind == "catalog":
            products = record or ()
        elif record is not None:
            records[kind][record.id] = record
    return Repository(
        root=root,
        config=config,
        opportunities=records["opportunity"],
        accounts=records["account"],
        contacts=records["contact"],
        competitors=records["competitor"],
        products={p.sku: p for p in products},
        product_list=products,
        ids={k: frozenset(v) for k, v in record_ids(classified).items()},
        scope=scope,
    )


def _load(
    root: Path,
    today: date,
    reader: Reader | None,
    paths: Iterable[str] | None,
    use_cache: bool,
    run_checks: bool,
) -> LoadResult:
    from textcrm import checks

    reader = reader or DiskReader(root)
    config, config_diagnostics = load_config(reader)
    classified = classify_listing(reader.files())
    scope = frozenset(paths) if paths is not None else None
    results = _read_and_parse(root, reader, classified, scope, use_cache)

    diagnostics: list[Diagnostic] = list(config_diagnostics)
    for path, (_record, found) in results.items():
        if scope is None or path in scope:
            diagnostics.extend(found)
    repo = _assemble(root, config, classified, results, scope)
    path_problems = getattr(reader, "path_problems", None)
    if path_problems is not None:
        diagnostics.extend(d for d in path_problems(config) if repo.in_scope(d.path))
    if run_checks:
        diagnostics.extend(checks.run(repo, today))
    diagnostics = apply_severities(diagnostics, config.rules)
    diagnostics.sort(key=sort_key)
    checked: dict[str, int] = {
        k: 0 for k in ("opportunities", "accounts", "contacts", "competitors", "products")
    }
    for path, (kind, _id) in classified.items():
        if scope is not None and path not in scope:
            continue
        if kind in layout.KIND_FOLDER:
            checked[layout.KIND_FOLDER[kind]] += 1
    checked["products"] = (
        len(repo.product_list) if (scope is None or layout.CATALOG_FILE in scope) else 0
    )
    return LoadResult(repo, diagnostics, checked)


def apply_severities(diagnostics: list[Diagnostic], rules: Mapping[str, str]) -> list[Diagnostic]:
    """Apply textcrm.yaml's `rules:` overrides: change a severity, or drop the rule (`off`)."""
    if not rules:
        return diagnostics
    out = []
    for d in diagnostics:
        override = rules.get(d.code)
        if override == "off":
            continue
        if override and override != d.severity:
            d = Diagnostic(d.path, d.line, d.column, d.code, override, d.message)
        out.append(d)
    return out


class Workspace:
    """A repository held in memory by long-running commands (the language server): one full
    load, then `replace(path, data)` re-parses one file and re-checks that file and the files
    whose diagnostics depend on it. Every answer equals what a full `load` would give."""

    def __init__(
        self, root: Path, today: date, reader: Reader | None = None, use_cache: bool = True
    ) -> None:
        self.root = root
        self.today = today
        self._reader = reader or DiskReader(root)
        self.config, self._config_diagnostics = load_config(self._reader)
        self._path_problems = self._paths_named(self.config)
        self._classified = classify_listing(self._reader.files())
        self._results = _read_and_parse(root, self._reader, self._classified, None, use_cache)
        self._repo = _assemble(root, self.config, self._classified, self._results, None)
        # The record maps, kept up to date by replace() instead of reassembling 10,000
        # records on every keystroke.
        self._records: dict[str, dict[str, Any]] = {
            "opportunity": dict(self._repo.opportunities),
            "account": dict(self._repo.accounts),
            "contact": dict(self._repo.contacts),
            "competitor": dict(self._repo.competitors),
        }
        self._ids = {kind: set(ids) for kind, ids in self._repo.ids.items()}
        self._quotes: dict[str, set[str]] = {}
        for number, paths in self._repo.quote_holders().items():
            self._quotes[number] = set(paths)

    def _snapshot(self) -> None:
        """A new Repository from the record maps (copies: a Repository never changes)."""
        products = self._results.get(layout.CATALOG_FILE, (None, []))[0] or ()
        self._repo = Repository(
            root=self.root,
            config=self.config,
            opportunities=dict(self._records["opportunity"]),
            accounts=dict(self._records["account"]),
            contacts=dict(self._records["contact"]),
            competitors=dict(self._records["competitor"]),
            products={p.sku: p for p in products},
            product_list=tuple(products),
            ids={kind: frozenset(ids) for kind, ids in self._ids.items()},
        )
        self._repo._memo["quote_holders"] = self._quotes

    def _index_quote(self, opp: Opportunity | None, add: bool) -> None:
        if opp is None or opp.quote is None or opp.quote.number is None:
            return
        holders = self._quotes.setdefault(opp.quote.number, set())
        if add:
            holders.add(opp.path)
        else:
            holders.discard(opp.path)
            if not holders:
                del self._quotes[opp.quote.number]

    def _paths_named(self, config: Config) -> list[Diagnostic]:
        """Paths the repository names that lead outside it (reported as `check` does)."""
        path_problems = getattr(self._reader, "path_problems", None)
        return list(path_problems(config)) if path_problems is not None else []

    @property
    def repository(self) -> Repository:
        """The current records (every file, as last replaced)."""
        return self._repo

    def paths(self) -> list[str]:
        """Every file of the repository the workspace knows, config and catalog included."""
        return sorted({layout.CONFIG_FILE, *self._classified})

    def diagnostics(self, paths: Iterable[str] | None = None) -> dict[str, list[Diagnostic]]:
        """The diagnostics of `paths` (default: every file), by path, sorted as `check` sorts
        them; a path with none maps to an empty list."""
        from textcrm import checks

        scope = frozenset(paths) if paths is not None else frozenset(self.paths())
        found: list[Diagnostic] = []
        if layout.CONFIG_FILE in scope:
            found.extend(self._config_diagnostics)
        # Problems of paths that are not record files (a folder, a template) belong to a
        # whole-repository answer only.
        found.extend(d for d in self._path_problems if paths is None or d.path in scope)
        for path in scope:
            result = self._results.get(path)
            if result is not None:
                found.extend(result[1])
        repo = Repository(
            root=self._repo.root,
            config=self._repo.config,
            opportunities=self._repo.opportunities,
            accounts=self._repo.accounts,
            contacts=self._repo.contacts,
            competitors=self._repo.competitors,
            products=self._repo.products,
            product_list=self._repo.product_list,
            ids=self._repo.ids,
            scope=scope,
        )
        repo._memo["quote_holders"] = self._quotes
        found.extend(checks.run(repo, self.today))
        by_path: dict[str, list[Diagnostic]] = {p: [] for p in scope}
        for d in sorted(apply_severities(found, self.config.rules), key=sort_key):
            by_path.setdefault(d.path, []).append(d)
        return by_path

    def set_today(self, today: date) -> None:
        """Move the workspace's notion of today (a long-running server crosses midnight)."""
        self.today = today

    def dependants(self, path: str) -> set[str]:
        """The files whose diagnostics may change when `path` changes, `path` included."""
        kind_id = self._classified.get(path) or layout.classify(path)
        if kind_id is None:
            return set()
        kind, record_id = kind_id
        if kind in ("config", "catalog"):
            return set(self.paths())
        out = {path}
        repo = self._repo
        if kind == "opportunity":
            old = repo.opportunities.get(record_id)
            if old is not None and old.quote is not None and old.quote.number is not None:
                out.update(repo.quote_holders().get(old.quote.number, ()))
        elif kind == "account":
            out.update(o.path for o in repo.opportunities.values() if o.account == record_id)
            out.update(c.path for c in repo.contacts.values() if c.account == record_id)
        elif kind == "contact":
            out.update(
                o.path
                for o in repo.opportunities.values()
                if any(r.contact == record_id for r in o.contacts)
            )
        elif kind == "competitor":
            out.update(
                o.path
                for o in repo.opportunities.values()
                if any(c.competitor == record_id for c in o.competitors)
            )
        return out

    def replace(self, path: str, data: bytes | None) -> dict[str, list[Diagnostic]]:
        """Replace one file's bytes (None: the file is gone) and return the diagnostics of
        every file that may have changed because of it, by path (empty lists included)."""
        kind_id = layout.classify(path)
        if kind_id is None:
            return {}
        before = self.dependants(path)
        kind, record_id = kind_id
        if kind == "config":
            self._replace_config(data)
        else:
            if data is None:
                self._classified.pop(path, None)
                self._results.pop(path, None)
            else:
                self._classified[path] = kind_id
                self._results[path] = _parse_one((kind, path, record_id, data))
            if kind in self._records:
                record = self._results.get(path, (None, []))[0]
                old = self._records[kind].pop(record_id, None)
                if record is not None:
                    self._records[kind][record_id] = record
                if kind == "opportunity":
                    self._index_quote(old, add=False)
                    self._index_quote(record, add=True)
                if data is None:
                    self._ids[kind].discard(record_id)
                else:
                    self._ids[kind].add(record_id)
            self._snapshot()
        affected = before | (self.dependants(path) if data is not None else set())
        out: dict[str, list[Diagnostic]] = {}
        if data is None and kind != "config":
            affected.discard(path)
            out[path] = []
        out.update(self.diagnostics(affected))
        return out

    def _replace_config(self, data: bytes | None) -> None:
        if data is None:
            self._config_diagnostics = [
                error(layout.CONFIG_FILE, 1, 1, "unreadable-file", "textcrm.yaml is missing")
            ]
            return
        config, found = parse_config(layout.CONFIG_FILE, data)
        self._config_diagnostics = found
        if config is not None:
            # A config that cannot be used keeps the last good one for the other files.
            self.config = config
            self._path_problems = self._paths_named(config)
            self._snapshot()
