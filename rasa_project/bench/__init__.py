"""Benchmarks (`make bench`, ``python -m rasa_project.bench [--quick] [--out DIR]``) and the harness
the reliability run shares: a private stack on free loopback ports, driven as DingTalk does."""
