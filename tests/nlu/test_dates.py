from datetime import date

import pytest

from rasa_project.nlu.normalize.dates import find_dates, parse_date

TODAY = date(2025, 4, 1)  # business anchor: a Tuesday


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        # absolute
        ("4月10日", "2025-04-10"), ("4月10号", "2025-04-10"), ("四月十日", "2025-04-10"),
        ("10 April", "2025-04-10"), ("April 10", "2025-04-10"), ("April 9th", "2025-04-09"),
        ("2025-04-10", "2025-04-10"), ("2025年4月10日", "2025-04-10"), ("10/4", "2025-04-10"),
        ("4/20", "2025-04-20"), ("15/4", "2025-04-15"), ("5 Mei", "2025-05-05"), ("tanggal 5 Mei", "2025-05-05"),
        ("the 15th of May", "2025-05-15"), ("by the 15th", "2025-04-15"), ("tanggal 12", "2025-04-12"),
        ("15号", "2025-04-15"), ("下个月5号", "2025-05-05"), ("2月20日", "2026-02-20"), ("3月25日", "2025-03-25"),
        # relative days
        ("今天", "2025-04-01"), ("明天", "2025-04-02"), ("后天", "2025-04-03"), ("大后天", "2025-04-04"),
        ("besok", "2025-04-02"), ("lusa", "2025-04-03"), ("hari ini", "2025-04-01"),
        ("tomorrow", "2025-04-02"), ("day after tomorrow", "2025-04-03"),
        ("in 3 days", "2025-04-04"), ("三天后", "2025-04-04"), ("3天内", "2025-04-04"),
        ("dalam 5 hari", "2025-04-06"), ("2 hari lagi", "2025-04-03"), ("in 2 weeks", "2025-04-15"),
        ("一周后", "2025-04-08"), ("2 minggu lagi", "2025-04-15"),
        # end of month
        ("月底", "2025-04-30"), ("akhir bulan", "2025-04-30"), ("end of month", "2025-04-30"),
        ("下个月底", "2025-05-31"),
        # weekdays: this week / next week / bare
        ("这周五", "2025-04-04"), ("本周五", "2025-04-04"), ("this Friday", "2025-04-04"), ("Jumat ini", "2025-04-04"),
        ("下周一", "2025-04-07"), ("下周三前", "2025-04-09"), ("下星期五", "2025-04-11"), ("下下周一", "2025-04-14"),
        ("next Friday", "2025-04-11"), ("Jumat depan", "2025-04-11"), ("Friday next week", "2025-04-11"),
        ("Senin depan", "2025-04-07"), ("周五", "2025-04-04"), ("Jumat", "2025-04-04"), ("by Friday", "2025-04-04"),
        ("周二", "2025-04-08"), ("Rabu", "2025-04-02"), ("hari minggu", "2025-04-06"),
    ],
)
def test_dates_at_business_anchor(text, iso):
    assert parse_date(text, TODAY).isoformat() == iso


@pytest.mark.parametrize("text", ["下周", "next week", "minggu depan", "P20250401", "1.01.2050", "300 pcs"])
def test_no_date(text):
    assert find_dates(text, TODAY) == []


def test_date_span_offsets_inside_a_sentence():
    (span,) = find_dates("Create production order BOM-2050 qty 300, finish April 10, standard type", TODAY)
    assert span.value == date(2025, 4, 10)
    assert "Create production order BOM-2050 qty 300, finish April 10, standard type"[span.start:span.end] == "April 10"


def test_relative_dates_follow_the_given_today():
    assert parse_date("besok", date(2025, 12, 31)) == date(2026, 1, 1)
    assert parse_date("next Monday", date(2025, 4, 6)) == date(2025, 4, 7)  # Sunday: next week starts tomorrow
