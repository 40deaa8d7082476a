"""Reliability run (`make reliability`, ``python -m devtools.reliability [--quick] [--out DIR]``):
redelivery, K/3 faults, DingTalk webhook failures and an action-server restart, each checked
against invariants (no duplicate, no lost order; every reply delivered exactly once)."""
