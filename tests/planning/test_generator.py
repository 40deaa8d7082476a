"""The seeded history generator: repeatable, big and varied enough, and its truth matches its reports."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

import pytest

from devtools.risk.generator import MIXES, generate
from rasa_project.planning.history import history_lines


def test_same_seed_same_history_other_seed_other_history():
    a, b, c = generate("base", 3), generate("base", 3), generate("base", 4)
    assert list(history_lines(a.history)) == list(history_lines(b.history)) and a.finish == b.finish
    assert list(history_lines(a.history)) != list(history_lines(c.history))


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_truth_is_the_day_cumulative_good_reached_the_quantity(mix):
    g = generate(mix, 1)
    qty = {o.bill_no: o.qty for o in g.history.orders}
    cumulative = defaultdict(float)
    reached = {}
    for r in sorted(g.history.reports, key=lambda r: r.date):
        cumulative[r.bill_no] += r.good
        if r.bill_no not in reached and cumulative[r.bill_no] >= qty[r.bill_no]:
            reached[r.bill_no] = r.date
    assert reached == g.finish
    assert all(g.history.calendar.is_working_day(r.date) for r in g.history.reports)


def test_base_mix_has_the_situations_the_model_must_handle():
    g = generate("base", 1)
    h = g.history
    assert len(h.orders) >= 200 and len(h.work_centers) >= 5
    assert (max(o.plan_finish for o in h.orders) - min(o.plan_start for o in h.orders)) >= timedelta(weeks=12)
    assert len(h.calendar.holidays) >= 3
    late = sum(g.is_late(o.bill_no) for o in h.orders)
    assert 0.2 * len(h.orders) < late < 0.8 * len(h.orders)  # both kinds, plenty of each
    assert sum(len(days) for days in g.downtime.values()) >= 10  # downtime days
    assert any(r.scrap >= 0.15 * (r.good + r.scrap) > 0 for r in h.reports)  # scrap spikes
    first = {}
    for r in h.reports:
        first.setdefault(r.bill_no, r.date)
    queued = [o for o in h.orders if first[o.bill_no] > o.plan_start]
    assert len(queued) >= 10  # orders that waited for their center
    by_material = defaultdict(list)
    for o in h.orders:
        by_material[o.material].append(g.paces[o.bill_no])
    spread = max(max(p) / min(p) for p in by_material.values() if len(p) >= 5)
    assert spread >= 1.6  # slow and fast orders of the same material


def test_breakdown_variant_has_multi_day_breakdowns():
    g = generate("breakdown", 1)
    cal = g.history.calendar
    runs = 0
    for days in g.downtime.values():
        days = sorted(days)
        runs += sum(1 for a, b in itertools.pairwise(days) if cal.next_working_day(a + timedelta(days=1)) == b)
    assert runs >= 3
