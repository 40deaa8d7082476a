"""Planning core: delay risk per open order and CP-SAT rescheduling options, pure functions.

    from rasa_project.planning import Snapshot, assess, reschedule
    risks = assess(snapshot)                 # one Risk per open order
    plan = reschedule(snapshot, "P20250401")  # up to three Options, best first

The live reader (or a history file, ``planning.history``) builds the :class:`Snapshot`; nothing
here does I/O. See docs/PLANNING.md.
"""

from rasa_project.planning.model import (
    Level,
    NewOrder,
    Option,
    OptionKind,
    OrderChange,
    OrderPlan,
    OvertimeDay,
    Phrase,
    Plan,
    Report,
    Risk,
    Shortage,
    Slip,
    Snapshot,
    WorkCenter,
)
from rasa_project.planning.reschedule import RescheduleParams, reschedule
from rasa_project.planning.risk import RiskParams, assess, shortages_from_stock, with_reports

__all__ = [
    "Level",
    "NewOrder",
    "Option",
    "OptionKind",
    "OrderChange",
    "OrderPlan",
    "OvertimeDay",
    "Phrase",
    "Plan",
    "Report",
    "RescheduleParams",
    "Risk",
    "RiskParams",
    "Shortage",
    "Slip",
    "Snapshot",
    "WorkCenter",
    "assess",
    "reschedule",
    "shortages_from_stock",
    "with_reports",
]
