"""Long steps say what they are doing and how long they have been at it (issue 17 item 8).

    with Progress("training the Rasa model", detail=log_tail(path)):
        ...

prints ``[dingk3] training the Rasa model …`` at once, then every ``every_s`` seconds
``[dingk3] training the Rasa model … 30 s (Epochs: 45%)`` with the last line of the step's own
log, and at the end ``… done in 74.2 s`` (or ``failed after``). Written to stderr, so a command's
own output (a model path) stays clean.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

_CONTROL = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def log_tail(path: Path | None, width: int = 80) -> Callable[[], str | None]:
    """The last non-empty line of a log (progress bars rewrite themselves with \\r), shortened."""

    def read() -> str | None:
        if path is None:
            return None
        try:
            with open(path, "rb") as fh:
                fh.seek(0, 2)
                fh.seek(max(0, fh.tell() - 4096))
                chunk = fh.read().decode("utf-8", "replace")
        except OSError:
            return None
        lines = [_CONTROL.sub("", part).strip() for part in re.split(r"[\r\n]", chunk)]
        lines = [line for line in lines if line]
        if not lines:
            return None
        last = lines[-1]
        return last if len(last) <= width else last[: width - 1] + "…"

    return read


class Progress:
    def __init__(self, what: str, *, detail: Callable[[], str | None] | None = None, every_s: float = 10.0,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.detail, self.every_s = what, detail, every_s
        self.stream, self.clock = stream, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = 0.0

    def _say(self, text: str) -> None:
        stream = self.stream or sys.stderr
        print(f"[dingk3] {self.what} {text}".rstrip(), file=stream, flush=True)

    def elapsed(self) -> float:
        return self.clock() - self.started

    def _beat(self) -> None:
        while not self._stop.wait(self.every_s):
            extra = self.detail() if self.detail else None
            self._say(f"… {self.elapsed():.0f} s" + (f" ({extra})" if extra else ""))

    def __enter__(self):  # -> Progress
        self.started = self.clock()
        self._say("…")
        self._thread = threading.Thread(target=self._beat, name="dingk3-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._say(f"{'failed after' if exc_type else 'done in'} {self.elapsed():.1f} s")
