"""Issue 13's conversation-level evaluation suite: tests/dialogues/*.yml played through the real
channel against the whole system (docs/DIALOGUES.md)."""
