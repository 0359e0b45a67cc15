"""The language server over stdio (pygls): keeps each CRM repository in a Workspace, feeds it
the editor's buffers, and answers with the features in `features`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from textcrm import __version__, layout
from textcrm.diagnostics import Diagnostic
from textcrm.errors import TextcrmError
from textcrm.loader import DiskReader, OverlayReader, Workspace, load
from textcrm.lsp import features

log = logging.getLogger(__name__)


class TextcrmServer(LanguageServer):
    """A language server for the CRM repositories whose files the editor opens.

    A repository is loaded once, in a worker thread, into a Workspace; until it is ready, an
    opened or changed document is checked on its own (a scoped load, as `textcrm check PATH`
    does: the same rules, references resolved against every file), so the first diagnostics
    do not wait for the whole repository."""

    def __init__(self, clock: Callable[[], date], use_cache: bool = True) -> None:
        super().__init__("textcrm", __version__)
        self.clock = clock
        self.use_cache = use_cache
        self.workspaces: dict[Path, Workspace] = {}
        self.loading: dict[Path, asyncio.Future[Workspace]] = {}
        self.failed: set[Path] = set()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="textcrm-load")

    # Files and repositories --------------------------------------------------------------------
    def find(self, uri: str) -> tuple[Path, str, str] | None:
        """(root, path relative to it, kind) of a document of a CRM repository, else None."""
        fs = to_fs_path(uri)
        if fs is None:
            return None
        path = Path(fs)
        try:
            root = layout.find_root(path.parent)
        except TextcrmError:
            return None
        try:
            rel = path.resolve().relative_to(root).as_posix()
        except ValueError:
            return None
        kind_id = layout.classify(rel)
        if kind_id is None or root in self.failed:
            return None
        return root, rel, kind_id[0]

    def start_loading(self, root: Path) -> asyncio.Future[Workspace]:
        future = self.loading.get(root)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(
                self.pool, lambda: Workspace(root, self.clock(), use_cache=self.use_cache)
            )
            self.loading[root] = future
        return future

    async def ready(self, root: Path) -> Workspace | None:
        """The Workspace of `root`, waiting for its first load."""
        ws = self.workspaces.get(root)
        if ws is None:
            try:
                ws = await self.start_loading(root)
            except TextcrmError as exc:
                self.failed.add(root)
                self.window_show_message(
                    lsp.ShowMessageParams(lsp.MessageType.Error, f"textcrm: {exc.message}")
                )
                return None
            if root not in self.workspaces:
                self.workspaces[root] = ws
                self.catch_up(ws)
        today = self.clock()
        if today != ws.today:
            ws.set_today(today)
        return ws

    def catch_up(self, ws: Workspace) -> None:
        """Give a freshly loaded workspace the open buffers, and publish their diagnostics."""
        found: dict[str, list[Diagnostic]] = {}
        for uri, doc in self.workspace_documents().items():
            place = self.find(uri)
            if place is not None and place[0] == ws.root:
                found.update(ws.replace(place[1], doc.source.encode("utf-8")))
        self.publish(ws.root, found)

    def quick_check(self, root: Path, rel: str, text: str) -> None:
        """Check the open documents of a repository on their own while it is loading (a
        scoped load, with every open buffer standing in for its file)."""
        buffers = {rel: text.encode("utf-8")}
        for uri, doc in self.workspace_documents().items():
            place = self.find(uri)
            if place is not None and place[0] == root and place[1] != rel:
                buffers[place[1]] = doc.source.encode("utf-8")
        try:
            reader = OverlayReader(DiskReader(root), buffers)
            result = load(root, self.clock(), reader=reader, paths=buffers, use_cache=False)
        except TextcrmError:
            return
        found: dict[str, list[Diagnostic]] = {path: [] for path in buffers}
        for d in result.diagnostics:
            found.setdefault(d.path, []).append(d)
        self.publish(root, found)

    def workspace_documents(self) -> dict[str, Any]:
        return dict(self.workspace.text_documents)

    def publish(self, root: Path, found: dict[str, list[Diagnostic]]) -> None:
        """Publish the diagnostics of every open document among `found`."""
        docs = self.workspace_documents()
        for path, diagnostics in found.items():
            uri = features.uri_of(root, path)
            doc = docs.get(uri)
            if doc is None:
                continue
            lines = doc.source.split("\n")
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=uri,
                    version=doc.version,
                    diagnostics=[features.to_lsp(d, lines) for d in diagnostics],
                )
            )

    async def refresh(self, uri: str, text: str | None) -> None:
        """Give the workspace a document's text (None: gone) and publish what changed."""
        place = self.find(uri)
        if place is None:
            return
        root, path, _kind = place
        ws = self.workspaces.get(root)
        if ws is None:
            if text is not None and uri in self.workspace_documents():
                self.quick_check(root, path, text)
            # The load may have read this file before the change: apply it once loaded.
            ws = await self.ready(root)
            if ws is None:
                return
        data = text.encode("utf-8") if text is not None else None
        self.publish(root, ws.replace(path, data))

    async def context(self, uri: str) -> tuple[Workspace, str, str, list[str]] | None:
        """(workspace, path, kind, lines) of an open document of a CRM repository."""
        place = self.find(uri)
        if place is None:
            return None
        root, path, kind = place
        ws = await self.ready(root)
        if ws is None:
            return None
        doc = self.workspace.get_text_document(uri)
        return ws, path, kind, doc.source.split("\n")


def _disk_text(uri: str) -> str | None:
    fs = to_fs_path(uri)
    try:
        return Path(fs).read_text(encoding="utf-8") if fs else None
    except (OSError, UnicodeDecodeError):
        return None


def make_server(clock: Callable[[], date], use_cache: bool = True) -> TextcrmServer:
    """The server with every feature registered."""
    server = TextcrmServer(clock, use_cache)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: TextcrmServer, params: lsp.InitializedParams) -> None:
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps is not None else None
        if watched is not None and watched.dynamic_registration:
            pattern = (
                "**/{textcrm.yaml,products.yaml,opportunities/*.md,accounts/*.md,"
                "contacts/*.md,competitors/*.md}"
            )
            ls.client_register_capability(
                lsp.RegistrationParams(
                    registrations=[
                        lsp.Registration(
                            id="textcrm-files",
                            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[lsp.FileSystemWatcher(glob_pattern=pattern)]
                            ),
                        )
                    ]
                )
            )

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: TextcrmServer, params: lsp.DidOpenTextDocumentParams) -> None:
        await ls.refresh(params.text_document.uri, params.text_document.text)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: TextcrmServer, params: lsp.DidChangeTextDocumentParams) -> None:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        await ls.refresh(doc.uri, doc.source)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: TextcrmServer, params: lsp.DidSaveTextDocumentParams) -> None:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        await ls.refresh(doc.uri, doc.source)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: TextcrmServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        # The buffer is gone: the file on disk is the truth again.
        await ls.refresh(uri, _disk_text(uri))
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched(ls: TextcrmServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        docs = ls.workspace_documents()
        for change in params.changes:
            if change.uri in docs and change.type != lsp.FileChangeType.Deleted:
                continue  # the editor's buffer wins over the disk while the file is open
            gone = change.type == lsp.FileChangeType.Deleted
            await ls.refresh(change.uri, None if gone else _disk_text(change.uri))

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=[":", " ", "{", ",", "-"]),
    )
    async def completion(ls: TextcrmServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        ctx = await ls.context(params.text_document.uri)
        if ctx is None:
            return lsp.CompletionList(is_incomplete=False, items=[])
        ws, _path, kind, lines = ctx
        pos = params.position
        items = features.completion(ws, kind, lines, pos.line, pos.character)
        if len(items) > features.MAX_ITEMS:
            return lsp.CompletionList(is_incomplete=True, items=items[: features.MAX_ITEMS])
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: TextcrmServer, params: lsp.HoverParams) -> lsp.Hover | None:
        ctx = await ls.context(params.text_document.uri)
        if ctx is None:
            return None
        ws, path, kind, lines = ctx
        text = features.hover(
            ws, kind, path, lines, params.position.line, params.position.character
        )
        if not text:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(lsp.MarkupKind.Markdown, text))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: TextcrmServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        ctx = await ls.context(params.text_document.uri)
        if ctx is None:
            return None
        ws, _path, kind, lines = ctx
        return features.definition(ws, kind, lines, params.position.line, params.position.character)

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    async def references(ls: TextcrmServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        ctx = await ls.context(params.text_document.uri)
        if ctx is None:
            return []
        ws, path, kind, lines = ctx
        pos = params.position
        return features.references(ws, kind, path, lines, pos.line, pos.character)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    async def code_action(ls: TextcrmServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        ctx = await ls.context(params.text_document.uri)
        if ctx is None:
            return []
        ws, path, _kind, _lines = ctx
        doc = ls.workspace.get_text_document(params.text_document.uri)
        return features.code_actions(
            ws, path, doc.uri, doc.source, list(params.context.diagnostics)
        )

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(
        ls: TextcrmServer, params: lsp.DocumentSymbolParams
    ) -> list[lsp.DocumentSymbol]:
        ctx = await ls.context(params.text_document.uri)
        if ctx is None:
            return []
        ws, path, _kind, lines = ctx
        return features.document_symbols(ws, path, lines)

    @server.feature(lsp.WORKSPACE_SYMBOL)
    async def workspace_symbol(
        ls: TextcrmServer, params: lsp.WorkspaceSymbolParams
    ) -> list[lsp.WorkspaceSymbol]:
        out: list[lsp.WorkspaceSymbol] = []
        for root in list(ls.loading):
            await ls.ready(root)
        for ws in ls.workspaces.values():
            out.extend(features.workspace_symbols(ws, params.query))
        return out

    return server


def serve_stdio(clock: Callable[[], date], use_cache: bool = True) -> None:
    """Run the language server on stdin/stdout until the client exits."""
    make_server(clock, use_cache).start_io()
