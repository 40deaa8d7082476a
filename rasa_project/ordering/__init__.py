"""Business core of orders: create drafts, change requests with risk checks, approvals.

Pure rules (rules.py, states.py) decide; the services (service.py) gather live K/3 data, persist
state in SQL and return ``Outcome``s carrying catalog keys. Actions never re-encode these rules.
"""

from rasa_project.ordering.outcomes import Message, Outcome
from rasa_project.ordering.states import Change, Draft, Event, IllegalTransition, next_state

__all__ = ["Change", "Draft", "Event", "IllegalTransition", "Message", "Outcome", "next_state"]
