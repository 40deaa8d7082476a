"""Pure normalisers: text in, spans with normalised values out. No rasa, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Span:
    """A piece of the message and what it means: ``text[start:end]`` -> ``value``."""

    start: int
    end: int
    value: Any
    kind: str = ""

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def select_non_overlapping(spans: list[Span]) -> list[Span]:
    """Leftmost-longest selection: the longer of two overlapping readings wins."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if not any(span.overlaps(c) for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
