"""The production topology on one machine (issue 17): `make prod-local`, lock-store races."""
