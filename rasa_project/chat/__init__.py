"""The chat edge of the core: the turn, what is pending, answers, prompts, views."""
