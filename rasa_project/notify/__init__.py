"""Proactive DingTalk sends that must not be lost (the SQL outbox)."""
