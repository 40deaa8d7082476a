"""Benchmarks (`make bench`, ``python -m devtools.bench [--quick] [--out DIR]``) and the harness
the reliability run shares: a private stack on free loopback ports, driven as DingTalk does."""
