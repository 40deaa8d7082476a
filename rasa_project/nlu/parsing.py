"""Parse messages with a trained model, exactly as the running bot does (rasa's processor).

``NluParser(model_path)`` loads the model once; ``parse(text, now=None)`` returns the
`dingk3 parse` shape: {"text", "intent": {"name", "confidence"}, "entities": {name: value},
"language"}. ``now`` (ISO 8601) overrides the business clock for relative dates.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from rasa_project.nlu.components import NOW_METADATA_KEY


def summarize(parse_data: dict) -> dict:
    """Rasa parse data -> the compact `dingk3 parse` record (first value per entity name)."""
    intent = parse_data.get("intent") or {}
    entities: dict = {}
    for e in parse_data.get("entities") or []:
        entities.setdefault(e["entity"], e["value"])
    return {
        "text": parse_data.get("text", ""),
        "intent": {"name": intent.get("name"), "confidence": round(float(intent.get("confidence") or 0.0), 4)},
        "entities": entities,
        "language": parse_data.get("language"),
    }


def _quiet_structlog() -> None:
    """Rasa's structlog prints debug events to stdout unless configured; parse output is stdout."""
    import structlog

    if not structlog.is_configured():
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        )


class NluParser:
    def __init__(self, model_path: Path) -> None:
        from rasa.core.agent import Agent

        _quiet_structlog()
        self.model_path = Path(model_path)
        self._agent = Agent.load(str(self.model_path))
        self._loop = asyncio.new_event_loop()

    def parse_raw(self, text: str, now: str | None = None) -> dict:
        """Rasa's full parse data (what lands in tracker.latest_message)."""
        from rasa.core.channels.channel import UserMessage

        metadata = {NOW_METADATA_KEY: now} if now else None
        message = UserMessage(text, sender_id="dingk3-parse", metadata=metadata)
        return self._loop.run_until_complete(self._agent.processor.parse_message(message))

    def parse(self, text: str, now: str | None = None) -> dict:
        record = summarize(self.parse_raw(text, now))
        record["text"] = text
        return record

    def parse_many(self, texts: Iterable[str], now: str | None = None) -> Iterator[dict]:
        for text in texts:
            yield self.parse(text, now)

    def close(self) -> None:
        self._loop.close()
