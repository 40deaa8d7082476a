"""The attack suite (`make security`, `python -m devtools.security`): one module per attack class in
``attacks/``, run against a whole system on free loopback ports; a report in reports/security/."""
