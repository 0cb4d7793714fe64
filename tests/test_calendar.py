"""The working-day calendar over REST: seeded 2026 schedule, deadlines, overrides, CSV import.

Working days drive JB-03 (揭榜 window), JB-16 and SS-07 (任前公示), KF-13 (公示) and
FH-09 (备案 within 15 working days); RULES.md's header defines them.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service.cli import main
from service.container import Container
from service.services import calendar
from service.services.principal import Principal
from service.store.models import AuditEvent
from tests.conftest import assert_problem

DAYS = "/api/v1/calendar/days"
WORKDAYS = "/api/v1/calendar/workdays"
BETWEEN = "/api/v1/calendar/workdays/between"
IMPORT = "/api/v1/calendar/import"

MAKEUP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
SPRING_FESTIVAL_2026 = [(date(2026, 2, 15) + timedelta(days=i)).isoformat() for i in range(9)]  # 2/15–2/23
NATIONAL_DAY_2026 = [f"2026-10-0{i}" for i in range(1, 8)]

# A made-up 2027 schedule for the tests (the State Council had not published 2027).
CSV_2027 = "date,type,note\n2027-01-01,休,元旦\n2027-02-06,班,春节\n2027-02-08,节假日,春节\n"


def deadline(api, start: str, days: int, user: str = "renshi") -> dict:
    response = api.get(WORKDAYS, user=user, query_string={"start": start, "days": days})
    assert response.status_code == 200, response.json
    return response.json


def between(api, start: str, end: str) -> dict:
    response = api.get(BETWEEN, user="renshi", query_string={"start": start, "end": end})
    assert response.status_code == 200, response.json
    return response.json


def is_workday(api, day: str) -> bool:
    previous = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    return between(api, previous, day)["workdays"] == 1


def year_days(api, year: int) -> dict:
    response = api.get(DAYS, user="renshi", query_string={"year": year})
    assert response.status_code == 200, response.json
    return response.json


def import_csv(api, text: str, user: str = "admin", **query):
    return api.post(IMPORT, user=user, data=text.encode(), content_type="text/csv", query_string=query)


# The seeded statutory calendar ----------------------------------------------------------------


def test_2026_is_seeded_from_chinesecalendar(api):
    body = year_days(api, 2026)
    assert body["year"] == 2026 and body["official"] is True
    days = {d["date"]: d for d in body["days"]}
    for makeup in MAKEUP_2026:
        assert days[makeup]["type"] == "workday" and days[makeup]["source"] == "chinesecalendar", makeup
    # Only weekday holidays are stored (a Saturday off is the weekday rule already).
    assert days["2026-02-16"] == {**days["2026-02-16"], "type": "holiday", "note": "春节"}
    assert days["2026-10-01"]["note"] == "国庆节" and days["2026-10-10"]["note"] == "国庆节"
    assert {d["type"] for d in body["days"]} == {"holiday", "workday"}


def test_every_2026_holiday_and_makeup_day(api):
    """RULES.md header: make-up weekend days work; 春节 2/15–2/23 and 国庆 10/1–10/7 are off
    (checked against the State Council notice as the chinesecalendar package carries it)."""
    for makeup in MAKEUP_2026:
        assert date.fromisoformat(makeup).weekday() >= 5
        assert is_workday(api, makeup), makeup
    for holiday in SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026:
        assert not is_workday(api, holiday), holiday
    assert between(api, "2026-02-14", "2026-02-23")["workdays"] == 0
    assert between(api, "2026-09-30", "2026-10-07")["workdays"] == 0
    for other in (
        "2026-01-01",
        "2026-01-02",
        "2026-04-06",
        "2026-05-01",
        "2026-05-05",
        "2026-06-19",
        "2026-09-25",
    ):
        assert not is_workday(api, other), other
    assert is_workday(api, "2026-02-24") and is_workday(api, "2026-10-08")
    # The whole year: 261 weekdays − 19 weekday holidays + 6 make-up days.
    assert between(api, "2025-12-31", "2026-12-31") == {
        "start": "2025-12-31",
        "end": "2026-12-31",
        "workdays": 248,
        "provisional": False,
    }


# Deadlines ---------------------------------------------------------------------------------


def test_jb03_window_across_national_day_2026(api):
    """JB-03: 5 working days from publication on Monday 2026-09-28. Not counting 9/28 itself:
    9/29 (1), 9/30 (2), 10/1–10/7 off, 10/8 (3), 10/9 (4), Saturday 10/10 is a make-up day (5)."""
    assert deadline(api, "2026-09-28", 5) == {
        "start": "2026-09-28",
        "days": 5,
        "end": "2026-10-10T23:59:59+08:00",
        "end_date": "2026-10-10",
        "provisional": False,
    }


def test_jb16_publicity_across_spring_festival_2026(api):
    """JB-16: 5 working days from Thursday 2026-02-12: 2/13 (1), make-up Saturday 2/14 (2),
    2/15–2/23 off, 2/24 (3), 2/25 (4), 2/26 (5)."""
    assert deadline(api, "2026-02-12", 5)["end"] == "2026-02-26T23:59:59+08:00"


def test_kf13_publicity_starting_on_a_holiday(api):
    """KF-13: a start on 10/1 (a holiday) is not counted either: 10/8, 10/9, 10/10."""
    assert deadline(api, "2026-10-01", 3)["end_date"] == "2026-10-10"
    assert deadline(api, "2026-10-01", 1)["end_date"] == "2026-10-08"
    # New Year: 1/3 is a Saturday holiday; the next working day is make-up Sunday 1/4.
    assert deadline(api, "2026-01-03", 1)["end_date"] == "2026-01-04"


def test_ss07_publicity_starting_on_a_makeup_saturday(api):
    """SS-07: 2/14 is a working Saturday but, as the start day, not counted: the next working
    day is 2/24 after 春节. From make-up Saturday 2/28: Monday 3/2 … Friday 3/6."""
    assert deadline(api, "2026-02-14", 1)["end_date"] == "2026-02-24"
    assert deadline(api, "2026-02-28", 5)["end_date"] == "2026-03-06"


def test_fh09_filing_within_15_working_days(api):
    """FH-09: from Friday 2026-09-18: 9/20 make-up Sunday (1), 9/21–9/24 (2–5), 9/25 中秋 off,
    9/28–9/30 (6–8), 10/1–10/7 off, 10/8–10/10 (9–11), 10/12–10/15 (12–15)."""
    assert deadline(api, "2026-09-18", 15)["end"] == "2026-10-15T23:59:59+08:00"
    assert between(api, "2026-09-18", "2026-10-15")["workdays"] == 15


def test_zero_days_ends_the_same_day(api):
    assert deadline(api, "2026-10-03", 0)["end"] == "2026-10-03T23:59:59+08:00"


# Years without official data -----------------------------------------------------------------


def test_period_into_2027_is_provisional_until_an_admin_enters_2027(api):
    """Until 2027 is official it counts Monday–Friday: 12/29, 12/30, 12/31, Fri 1/1, Mon 1/4."""
    before = deadline(api, "2026-12-28", 5)
    assert before["end_date"] == "2027-01-04" and before["provisional"] is True
    assert year_days(api, 2027) == {"year": 2027, "official": False, "days": []}
    counted = between(api, "2026-12-28", "2027-01-04")
    assert counted["workdays"] == 5 and counted["provisional"] is True

    response = api.put(f"{DAYS}/2027-01-01", json={"type": "holiday", "note": "元旦"})
    assert response.status_code == 200, response.json
    assert response.json | {"updated_at": None} == {
        "date": "2027-01-01",
        "type": "holiday",
        "note": "元旦",
        "source": "admin",
        "updated_by": "admin",
        "updated_at": None,
    }
    assert response.json["updated_at"].endswith("+08:00")
    after = deadline(api, "2026-12-28", 5)
    assert after["end_date"] == "2027-01-05" and after["provisional"] is False
    body = year_days(api, 2027)
    assert body["official"] is True and [d["date"] for d in body["days"]] == ["2027-01-01"]


def test_csv_import_makes_2027_official(api):
    assert deadline(api, "2026-12-28", 5)["provisional"] is True
    response = import_csv(api, CSV_2027)
    assert response.status_code == 200, response.json
    assert response.json == {"imported": 3, "years": [2027]}
    after = deadline(api, "2026-12-28", 5)
    assert after["end_date"] == "2027-01-05" and after["provisional"] is False
    days = {d["date"]: d for d in year_days(api, 2027)["days"]}
    assert days["2027-02-06"] == {**days["2027-02-06"], "type": "workday", "note": "春节", "source": "import"}
    assert days["2027-02-08"]["type"] == "holiday" and days["2027-01-01"]["type"] == "holiday"
    # Saturday 2/6 now works: from Friday 2/5, 1 working day ends on it.
    assert deadline(api, "2027-02-05", 1)["end_date"] == "2027-02-06"


def test_csv_import_as_multipart_with_a_year(api):
    import io

    response = api.post(
        IMPORT,
        data={"file": (io.BytesIO(CSV_2027.encode("gb18030")), "2027.csv")},
        content_type="multipart/form-data",
        query_string={"year": 2027},
    )
    assert response.status_code == 200, response.json
    assert response.json["imported"] == 3 and year_days(api, 2027)["days"][0]["note"] == "元旦"


def test_csv_with_bad_lines_lists_every_line_and_writes_nothing(api):
    text = (
        "date,type,note\n"
        "2027-01-01,休,元旦\n"
        "2027-02-30,休,不存在的日期\n"
        "2027-02-06,上课,\n"
        "2027-01-01,班,重复\n"
        "abc,holiday,\n"
    )
    body = assert_problem(import_csv(api, text), 422)
    assert set(body["errors"]) == {"line 3", "line 4", "line 5", "line 6"}
    assert "2027-02-30" in body["errors"]["line 3"][0]
    assert "上课" in body["errors"]["line 4"][0]
    assert "第 2 行" in body["errors"]["line 5"][0]
    assert "未导入" in body["detail"] and "第 3 行" in body["detail"]
    assert year_days(api, 2027) == {"year": 2027, "official": False, "days": []}
    assert deadline(api, "2026-12-28", 5)["provisional"] is True


def test_csv_needs_a_header_and_the_right_year(api):
    body = assert_problem(import_csv(api, "2027-01-01,休,元旦\n"), 422)
    assert "表头" in body["detail"] and "line 1" in body["errors"]
    body = assert_problem(import_csv(api, CSV_2027, year=2028), 422)
    assert set(body["errors"]) == {"line 2", "line 3", "line 4"} and "2028" in body["detail"]
    assert_problem(import_csv(api, ""), 422)
    assert_problem(import_csv(api, CSV_2027, year=1800), 422)
    assert year_days(api, 2028)["official"] is False


def test_a_file_that_is_not_csv_is_refused_with_its_line(api):
    """A line the CSV reader cannot read (here a field beyond its size limit) is 422 naming
    the line (was a 500), and nothing is imported."""
    broken = f'date,type,note\n2028-01-01,休,元旦\n2028-01-02,休,"{"很长" * 70000}"\n'
    body = assert_problem(import_csv(api, broken), 422)
    assert "第 3 行无法读取" in body["detail"] and "另存为 UTF-8 CSV" in body["detail"]
    assert year_days(api, 2028)["official"] is False
    # A carriage return inside a line is read as the line break it is meant to be.
    assert import_csv(api, "date,type,note\r\n2028-01-01,休,元旦\r\n").status_code == 200


# Administrators' overrides ---------------------------------------------------------------


def test_delete_restores_the_seeded_value(api):
    """Cancelling the 10/10 make-up day moves the JB-03 window; deleting the override brings it back."""
    response = api.put(f"{DAYS}/2026-10-10", json={"type": "holiday", "note": "测试：取消调休"})
    assert response.status_code == 200 and response.json["source"] == "admin"
    assert deadline(api, "2026-09-28", 5)["end_date"] == "2026-10-12"
    assert api.delete(f"{DAYS}/2026-10-10").status_code == 204
    days = {d["date"]: d for d in year_days(api, 2026)["days"]}
    assert days["2026-10-10"] == {
        **days["2026-10-10"],
        "type": "workday",
        "note": "国庆节",
        "source": "chinesecalendar",
    }
    assert deadline(api, "2026-09-28", 5)["end_date"] == "2026-10-10"
    # Nothing left to delete: the seeded value is not an override.
    assert_problem(api.delete(f"{DAYS}/2026-10-10"), 404)


def test_delete_of_an_unseeded_override_removes_it(api):
    api.put(f"{DAYS}/2026-03-06", json={"type": "holiday"})
    assert deadline(api, "2026-03-05", 1)["end_date"] == "2026-03-09"
    assert api.delete(f"{DAYS}/2026-03-06").status_code == 204
    assert "2026-03-06" not in {d["date"] for d in year_days(api, 2026)["days"]}
    assert deadline(api, "2026-03-05", 1)["end_date"] == "2026-03-06"
    assert_problem(api.delete(f"{DAYS}/2026-03-06"), 404)


def test_only_admins_change_the_calendar(api):
    assert_problem(api.put(f"{DAYS}/2026-03-06", user="renshi", json={"type": "holiday"}), 403)
    assert_problem(api.delete(f"{DAYS}/2026-10-10", user="renshi"), 403)
    assert_problem(import_csv(api, CSV_2027, user="renshi"), 403)
    assert is_workday(api, "2026-03-06") and year_days(api, 2027)["official"] is False
    assert_problem(api.get(WORKDAYS, user=None, query_string={"start": "2026-01-05", "days": 1}), 401)


def test_writes_are_audited(api, db):
    api.put(f"{DAYS}/2026-03-06", json={"type": "holiday", "note": "临时"})
    api.delete(f"{DAYS}/2026-03-06")
    import_csv(api, CSV_2027)
    with db.transaction() as session:
        # The session's seeding is audited too ("calendar.seeded" by system) when a test runs first.
        query = select(AuditEvent).where(AuditEvent.action.like("calendar.%"), AuditEvent.actor == "admin")
        events = session.scalars(query.order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor) for e in events] == [
        ("calendar.day_set", "admin"),
        ("calendar.day_deleted", "admin"),
        ("calendar.imported", "admin"),
    ]
    assert events[0].detail["day"] == "2026-03-06" and events[0].detail["kind"] == "holiday"
    assert events[2].detail["years"] == [2027] and events[2].detail["days"] == 3


def test_seeding_is_idempotent_and_keeps_overrides(api, db):
    api.put(f"{DAYS}/2026-10-08", json={"type": "holiday", "note": "调整"})
    assert calendar.seed_from_chinesecalendar(db) == 0
    days = {d["date"]: d for d in year_days(api, 2026)["days"]}
    assert days["2026-10-08"]["source"] == "admin" and days["2026-10-08"]["type"] == "holiday"
    assert api.delete(f"{DAYS}/2026-10-08").status_code == 204
    assert "2026-10-08" not in {d["date"] for d in year_days(api, 2026)["days"]}


# Caching across replicas --------------------------------------------------------------------


def test_cache_reloads_only_after_a_change_from_any_replica(api, settings):
    deadline(api, "2026-12-28", 5)  # creates the cache lazily
    cache = api.client.application.extensions["xuanpin"].calendar
    assert cache.get() is cache.get()
    # Another replica: its own connection pool and cache, writing through the service.
    other = Container.build(settings)
    try:
        calendar.set_day(other, Principal("admin", is_admin=True), date(2027, 1, 1), "holiday", "元旦")
        assert deadline(api, "2026-12-28", 5)["end_date"] == "2027-01-05"
        assert other.calendar.get().is_official(2027)
    finally:
        other.db.dispose()


# Input checking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-02-30", "days": 5}, "start"),
        ({"start": "abc", "days": 5}, "start"),
        ({"start": "1800-01-01", "days": 5}, "start"),
        ({"start": "2026-01-05", "days": -1}, "days"),
        ({"start": "2026-01-05", "days": 100000}, "days"),
        ({"start": "2026-01-05", "days": "five"}, "days"),
        ({"days": 5}, "start"),
        ({"start": "2026-01-05"}, "days"),
    ],
)
def test_workdays_rejects_bad_input(api, query, field):
    body = assert_problem(api.get(WORKDAYS, query_string=query), 422)
    assert field in body["errors"] and "请求参数有误" in body["detail"]


def test_between_and_days_reject_bad_input(api):
    assert "end" in assert_problem(api.get(BETWEEN, query_string={"start": "2026-01-01"}), 422)["errors"]
    bad = assert_problem(api.get(BETWEEN, query_string={"start": "2026-13-01", "end": "2026-01-01"}), 422)
    assert bad["errors"]["start"] == ["应为有效日期，格式 YYYY-MM-DD"]
    for year in ("1899", "2201", "abc", ""):
        assert "year" in assert_problem(api.get(DAYS, query_string={"year": year}), 422)["errors"]
    assert "year" in assert_problem(api.get(DAYS), 422)["errors"]
    assert between(api, "2026-10-10", "2026-10-01")["workdays"] == 0


def test_put_rejects_bad_input(api):
    for day in ("2026-02-30", "abc", "2026-1-4", "1800-01-01"):
        body = assert_problem(api.put(f"{DAYS}/{day}", json={"type": "holiday"}), 422)
        assert "date" in body["errors"], day
    body = assert_problem(api.put(f"{DAYS}/2026-03-06", json={"type": "vacation"}), 422)
    assert "type" in body["errors"] and "holiday" in body["detail"]
    assert "type" in assert_problem(api.put(f"{DAYS}/2026-03-06", json={}), 422)["errors"]
    assert (
        "note"
        in assert_problem(api.put(f"{DAYS}/2026-03-06", json={"type": "holiday", "note": "长" * 201}), 422)[
            "errors"
        ]
    )
    assert_problem(api.delete(f"{DAYS}/not-a-date"), 422)
    assert is_workday(api, "2026-03-06")


# Command line --------------------------------------------------------------------------------


def test_cli_import_and_show(api, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    deadline(api, "2026-12-28", 5)  # the API's cache holds the old calendar
    csv_file = tmp_path / "2027.csv"
    csv_file.write_text(CSV_2027, encoding="utf-8")
    result = CliRunner().invoke(main, ["calendar", "import", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "已导入 3 天" in result.output and "2027" in result.output
    # The API process sees the CLI's write through the change marker, without a restart.
    assert deadline(api, "2026-12-28", 5)["end_date"] == "2027-01-05"

    shown = CliRunner().invoke(main, ["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027 年：官方安排" in shown.output
    assert "2027-02-06  周六  上班（调休）  春节  [import]" in shown.output
    seeded = CliRunner().invoke(main, ["calendar", "show", "2026"])
    assert "2026-10-10  周六  上班（调休）  国庆节  [chinesecalendar]" in seeded.output

    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("date,type\n2027-13-01,休\n", encoding="utf-8")
    failed = CliRunner().invoke(main, ["calendar", "import", str(bad_file)])
    assert failed.exit_code == 1 and "line 2" in failed.output
