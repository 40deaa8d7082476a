"""A webhook server an attacker (or a test harness) runs: it records every request it gets.

It answers like a sessionWebhook (``{"errcode":0,"errmsg":"ok"}``), or, under ``/redirect/``,
with a 307 to ``redirect_to`` + the rest of the path, to see whether the bot follows redirects.
It binds one loopback address (127.0.0.1, 127.0.0.2, ::1) on a free port, in a thread.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from typing_extensions import Self


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, handler) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), handler)


class WebhookListener:
    def __init__(self, host: str = "127.0.0.1", *, redirect_to: str | None = None) -> None:
        self.host, self.redirect_to = host, redirect_to
        self.hits: list[dict] = []
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(min(length, 1_000_000)) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with listener._lock:
                    listener.hits.append({"method": self.command, "path": self.path, "body": body})
                if self.path.startswith("/redirect/") and listener.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", listener.redirect_to + self.path[len("/redirect"):])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = do_GET = do_PUT = _record  # http.server's naming

            def log_message(self, *args) -> None:  # quiet
                pass

        self._server = _Server(host, Handler)
        port = self._server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.origin = f"http://{shown}:{port}"
        self.port = port
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"listener-{host}", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def hits_for(self, prefix: str) -> list[dict]:
        with self._lock:
            return [h for h in self.hits if h["path"].startswith(prefix)]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
