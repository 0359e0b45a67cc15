"""A small synchronous LSP client over stdio: what an editor does, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any


class LspClient:
    """Starts `textcrm lsp`, speaks JSON-RPC with Content-Length framing, answers the server's
    own requests (registrations) with null, and keeps every notification it receives."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ()):
        self.root = root
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "textcrm", "lsp", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=root,
            env={**os.environ, **(env or {})},
        )
        self._next = 0
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.notifications: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.versions: dict[str, int] = {}

    # Wire -------------------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:
                self._send({"id": message["id"], "result": None})
            elif "id" in message:
                with self._lock:
                    box = self._responses.get(message["id"])
                if box is not None:
                    box.put(message)
            else:
                with self._changed:
                    self.notifications.append(message)
                    self._changed.notify_all()

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        with self._lock:
            self._next += 1
            ident = self._next
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._responses[ident] = box
        self._send({"id": ident, "method": method, "params": params})
        reply = box.get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    # Editor actions ----------------------------------------------------------------------------
    def initialize(self, watch_files: bool = True) -> Any:
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": self.root.as_uri(),
                "capabilities": {
                    "workspace": {
                        "didChangeWatchedFiles": {"dynamicRegistration": watch_files},
                        "workspaceEdit": {"documentChanges": True},
                    },
                    "textDocument": {
                        "publishDiagnostics": {"versionSupport": True},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "completion": {"completionItem": {"snippetSupport": False}},
                        "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                    },
                },
            },
        )
        self.notify("initialized", {})
        return result

    def uri(self, rel: str) -> str:
        return (self.root / rel).resolve().as_uri()

    def open(self, rel: str, text: str | None = None) -> str:
        uri = self.uri(rel)
        if text is None:
            text = (self.root / rel).read_text(encoding="utf-8")
        self.versions[uri] = 1
        lang = "yaml" if rel.endswith(".yaml") else "markdown"
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": lang, "version": 1, "text": text}},
        )
        return uri

    def change(self, rel: str, text: str) -> None:
        uri = self.uri(rel)
        self.versions[uri] = self.versions.get(uri, 1) + 1
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": self.versions[uri]},
                "contentChanges": [{"text": text}],
            },
        )

    def save(self, rel: str) -> None:
        self.notify("textDocument/didSave", {"textDocument": {"uri": self.uri(rel)}})

    def close(self, rel: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": self.uri(rel)}})

    def files_changed(self, changes: list[tuple[str, int]]) -> None:
        """Tell the server about files changed on disk (1 created, 2 changed, 3 deleted)."""
        self.notify(
            "workspace/didChangeWatchedFiles",
            {"changes": [{"uri": self.uri(rel), "type": kind} for rel, kind in changes]},
        )

    def settle(self) -> None:
        """Wait until every repository the server has begun to load is loaded (a workspace
        symbol query waits for that), so what is published next answers what is sent next."""
        self.request("workspace/symbol", {"query": ""})

    def mark(self) -> int:
        """A point in the notification stream, to wait for what comes after it."""
        with self._changed:
            return len(self.notifications)

    def diagnostics(
        self, rel: str, since: int = 0, timeout: float = 60, version: int | None = None
    ) -> list[dict[str, Any]]:
        """The first diagnostics published for `rel` after `since` (for `version` if given)."""
        uri = self.uri(rel)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self.notifications[since:]:
                    if message.get("method") != "textDocument/publishDiagnostics":
                        continue
                    params = message["params"]
                    if params["uri"] != uri:
                        continue
                    if version is not None and params.get("version") != version:
                        continue
                    return list(params["diagnostics"])
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no diagnostics for {rel}; stderr: {self.stderr_tail()}")
                self._changed.wait(left)

    def position(self, rel: str, line: int, character: int) -> dict[str, Any]:
        return {
            "textDocument": {"uri": self.uri(rel)},
            "position": {"line": line, "character": character},
        }

    def stderr_tail(self) -> str:
        return ""

    def shutdown(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
