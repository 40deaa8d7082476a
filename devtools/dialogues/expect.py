"""The end state a dialogue expects in K/3, compared with the state it started from. Pure."""

from __future__ import annotations

from devtools.dialogues.k3 import OrderState
from devtools.dialogues.spec import STATUS

KEPT = ("qty", "good", "scrap", "reports", "finish", "work_center")  # unchanged unless the dialogue names them


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) < 1e-6
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def check_k3(expected: dict, base: dict[str, OrderState], now: dict[str, OrderState],
             scope_wcs: set[str] | None) -> list[str]:
    """What differs from ``expected``; [] when K/3 is as the dialogue says.

    ``ORDER: unchanged`` - every field as at the start; ``ORDER: {field: value}`` - those fields have
    those values and qty/good/scrap/reports/finish/work_center not named are unchanged; ``new_orders`` -
    exactly these orders (of the dialogue's work centers) exist now that did not exist at the start
    (closed ones do not count)."""
    problems: list[str] = []
    for key, want in expected.items():
        if key == "new_orders":
            continue
        before, after = base.get(key), now.get(key)
        if want == "unchanged":
            if before is None:
                problems.append(f"K/3: {key} did not exist at the start")
            elif after is None:
                problems.append(f"K/3: {key} should be unchanged but is gone")
            elif after.as_dict() != before.as_dict():
                diff = {k: f"{v} -> {after.as_dict()[k]}" for k, v in before.as_dict().items()
                        if after.as_dict()[k] != v}
                problems.append(f"K/3: {key} should be unchanged, changed {diff}")
            continue
        if want.get("exists") is False:
            if after is not None and after.status != "6":
                problems.append(f"K/3: {key} should be gone (or closed), is there with status {after.status}")
            continue
        if after is None:
            problems.append(f"K/3: {key} does not exist")
            continue
        for field in KEPT + ("status",):
            if field in want:
                value = STATUS[want[field]] if field == "status" else want[field]
                if not _same(getattr(after, field), value):
                    problems.append(f"K/3: {key} {field} is {getattr(after, field)}, expected {value}")
            elif field != "status" and before is not None and not _same(getattr(after, field), getattr(before, field)):
                problems.append(f"K/3: {key} {field} changed {getattr(before, field)} -> {getattr(after, field)}"
                                " (the dialogue expects it unchanged)")
    if "new_orders" in expected:
        new = [o for bill, o in now.items() if bill not in base and o.status != "6"
               and (scope_wcs is None or o.work_center in scope_wcs)]
        wanted = list(expected["new_orders"])
        unmatched = list(new)
        for item in wanted:
            match = next((o for o in unmatched if all(
                _same(getattr(o, f), item[f]) for f in ("material", "qty", "finish", "work_center") if f in item)), None)
            if match is None:
                problems.append(f"K/3: no new order like {item}; new orders: "
                                f"{[(o.bill_no, o.material, o.qty, o.finish, o.work_center) for o in new] or 'none'}")
            else:
                unmatched.remove(match)
        if unmatched and not problems:
            problems.append(f"K/3: unexpected new orders {[(o.bill_no, o.material, o.qty) for o in unmatched]}")
    return problems
