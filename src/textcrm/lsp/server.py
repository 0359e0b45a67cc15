"""The language server over stdio (pygls): keeps each CRM repository in a Workspace, feeds it
the editor's buffers, and answers with the features in `features`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from textcrm import __version__, layout
from textcrm.diagnostics import Diagnostic
from textcrm.errors import TextcrmError
from textcrm.loader import Workspace
from textcrm.lsp import features

log = logging.getLogger(__name__)


class TextcrmServer(LanguageServer):
    """A language server for the CRM repositories whose files the editor opens."""

    def __init__(self, clock: Callable[[], date], use_cache: bool = True) -> None:
        super().__init__("textcrm", __version__)
        self.clock = clock
        self.use_cache = use_cache
        self.workspaces: dict[Path, Workspace] = {}
        self.failed: set[Path] = set()

    # Files and repositories --------------------------------------------------------------------
    def locate(self, uri: str) -> tuple[Workspace, str, str] | None:
        """(workspace, path relative to its root, kind) of a document, or None when it is not
        a file of a CRM repository."""
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
        if kind_id is None:
            return None
        ws = self.crm(root)
        if ws is None:
            return None
        return ws, rel, kind_id[0]

    def crm(self, root: Path) -> Workspace | None:
        """The Workspace of the CRM repository at `root`, loaded on first use."""
        ws = self.workspaces.get(root)
        if ws is None and root not in self.failed:
            try:
                ws = Workspace(root, self.clock(), use_cache=self.use_cache)
            except TextcrmError as exc:
                self.failed.add(root)
                self.window_show_message(
                    lsp.ShowMessageParams(lsp.MessageType.Error, f"textcrm: {exc.message}")
                )
                return None
            self.workspaces[root] = ws
        if ws is not None:
            today = self.clock()
            if today != ws.today:
                ws.set_today(today)
        return ws

    def open_lines(self, ws: Workspace, path: str) -> list[str] | None:
        """The lines of an open document of the workspace, else None."""
        uri = features.uri_of(ws.root, path)
        doc = self.workspace_documents().get(uri)
        return doc.source.split("\n") if doc is not None else None

    def workspace_documents(self) -> dict[str, Any]:
        return dict(self.workspace.text_documents)

    def publish(self, ws: Workspace, found: dict[str, list[Diagnostic]]) -> None:
        """Publish the diagnostics of every open document among `found`."""
        docs = self.workspace_documents()
        for path, diagnostics in found.items():
            uri = features.uri_of(ws.root, path)
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

    def refresh(self, uri: str, text: str | None) -> None:
        """Give the workspace a document's text (None: gone) and publish what changed."""
        found = self.locate(uri)
        if found is None:
            return
        ws, path, _kind = found
        data = text.encode("utf-8") if text is not None else None
        self.publish(ws, ws.replace(path, data))


def _disk_text(uri: str) -> str | None:
    fs = to_fs_path(uri)
    try:
        return Path(fs).read_text(encoding="utf-8") if fs else None
    except (OSError, UnicodeDecodeError):
        return None


def _context(server: TextcrmServer, uri: str) -> tuple[Workspace, str, str, list[str]] | None:
    found = server.locate(uri)
    if found is None:
        return None
    ws, path, kind = found
    doc = server.workspace.get_text_document(uri)
    return ws, path, kind, doc.source.split("\n")


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
    def did_open(ls: TextcrmServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri, params.text_document.text)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TextcrmServer, params: lsp.DidChangeTextDocumentParams) -> None:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        ls.refresh(doc.uri, doc.source)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TextcrmServer, params: lsp.DidSaveTextDocumentParams) -> None:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        ls.refresh(doc.uri, doc.source)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TextcrmServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        # The buffer is gone: the file on disk is the truth again.
        ls.refresh(uri, _disk_text(uri))
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: TextcrmServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        docs = ls.workspace_documents()
        for change in params.changes:
            if change.uri in docs and change.type != lsp.FileChangeType.Deleted:
                continue  # the editor's buffer wins over the disk while the file is open
            gone = change.type == lsp.FileChangeType.Deleted
            ls.refresh(change.uri, None if gone else _disk_text(change.uri))

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=[":", " ", "{", ",", "-"]),
    )
    def completion(ls: TextcrmServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        ctx = _context(ls, params.text_document.uri)
        if ctx is None:
            return lsp.CompletionList(is_incomplete=False, items=[])
        ws, _path, kind, lines = ctx
        pos = params.position
        items = features.completion(ws, kind, lines, pos.line, pos.character)
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: TextcrmServer, params: lsp.HoverParams) -> lsp.Hover | None:
        ctx = _context(ls, params.text_document.uri)
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
    def definition(ls: TextcrmServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        ctx = _context(ls, params.text_document.uri)
        if ctx is None:
            return None
        ws, _path, kind, lines = ctx
        return features.definition(ws, kind, lines, params.position.line, params.position.character)

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: TextcrmServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        ctx = _context(ls, params.text_document.uri)
        if ctx is None:
            return []
        ws, path, kind, lines = ctx
        pos = params.position
        return features.references(ws, kind, path, lines, pos.line, pos.character)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    def code_action(ls: TextcrmServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        ctx = _context(ls, params.text_document.uri)
        if ctx is None:
            return []
        ws, path, _kind, _lines = ctx
        doc = ls.workspace.get_text_document(params.text_document.uri)
        return features.code_actions(
            ws, path, doc.uri, doc.source, list(params.context.diagnostics)
        )

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: TextcrmServer, params: lsp.DocumentSymbolParams
    ) -> list[lsp.DocumentSymbol]:
        ctx = _context(ls, params.text_document.uri)
        if ctx is None:
            return []
        ws, path, _kind, lines = ctx
        return features.document_symbols(ws, path, lines)

    @server.feature(lsp.WORKSPACE_SYMBOL)
    def workspace_symbol(
        ls: TextcrmServer, params: lsp.WorkspaceSymbolParams
    ) -> list[lsp.WorkspaceSymbol]:
        out: list[lsp.WorkspaceSymbol] = []
        for ws in ls.workspaces.values():
            out.extend(features.workspace_symbols(ws, params.query))
        return out

    return server


def serve_stdio(clock: Callable[[], date], use_cache: bool = True) -> None:
    """Run the language server on stdin/stdout until the client exits."""
    make_server(clock, use_cache).start_io()
