"""Production orders: create them, change them (with risk checks and manager approval), report output.

Pure rules decide (``rules.py``, ``states.py``, ``change_checks.py``); the services gather live K/3
data (``factory_state.py`` reads the factory once per evaluation), persist state in SQL and return
``Outcome``s carrying catalog keys (``change_messages.py`` for changes). ``service.py`` puts create,
change and decisions together as one ``WorkflowService``; ``approval_desk.py`` asks the managers and
tells everyone; ``reports.py`` takes shop-floor output reports. Actions never re-encode these rules.
"""

from rasa_project.ordering.states import Change, Draft, Event, IllegalTransition, next_state

__all__ = ["Change", "Draft", "Event", "IllegalTransition", "next_state"]
