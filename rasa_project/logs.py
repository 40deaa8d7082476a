"""One request id per chat message, followed in every process's log (issue 17 item 6).

The channel takes nginx's ``X-Request-Id`` (or makes one) when a callback arrives, keeps it in
``REQUEST_ID`` for the turn and puts it in the message's metadata, so Rasa hands it to the action
server in the tracker; the action server sets it again for the action, its K/3 calls and its log
lines; the reply queue stores it with each reply, so the send is logged under it too.

``install(settings, service)`` adds it to every line of the process's log: ``[rid=…]`` at the end
of a text line, or a field of one JSON object per line with ``DINGK3_LOG_FORMAT=json``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("dingk3_request_id", default=None)
_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def clean(value: str | None) -> str | None:
    """A request id from outside (a header, a tracker) only if it is short and plain."""
    return value if isinstance(value, str) and _SAFE.fullmatch(value) else None


class RequestIdFormatter(logging.Formatter):
    def __init__(self, inner: logging.Formatter | None, *, json_lines: bool, service: str) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.json_lines, self.service = json_lines, service

    def format(self, record: logging.LogRecord) -> str:
        rid = REQUEST_ID.get()
        if not self.json_lines:
            text = self.inner.format(record)
            return f"{text} [rid={rid}]" if rid else text
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "request_id": rid,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def install(settings, service: str) -> None:
    """Wrap the formatter of every root handler (once); call after the process configured logging."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=getattr(settings, "log_level", "INFO"))
    json_lines = getattr(settings, "log_format", "text") == "json"
    for handler in root.handlers:
        if not isinstance(handler.formatter, RequestIdFormatter):
            handler.setFormatter(RequestIdFormatter(handler.formatter, json_lines=json_lines, service=service))
