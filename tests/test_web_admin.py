"""Admin pages (issue 13): users and roles, API tokens, the working-day calendar as a year
view — over the same services as the REST routes, for admins only."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.test_web import Browser


def test_an_admin_creates_a_user_who_can_log_in_and_deactivates_them(app):
    admin = Browser(app).login("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "renshi" in page and "企业人事" in page
    short = admin.post("/admin/users", {"username": "xinren", "password": "short"})
    assert "初始密码至少 8 位" in short.get_data(as_text=True)
    made = admin.post(
        "/admin/users",
        {"username": "xinren", "display_name": "新人", "password": PASSWORD, "roles": "企业人事、考官"},
    )
    assert made.status_code == 302
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert "新人" in listed and "企业人事@default、考官@default" in listed
    newcomer = Browser(app).login("xinren")
    assert newcomer.get("/inbox").status_code == 200
    admin.get("/admin/users")
    assert admin.post("/admin/users/xinren/deactivate").status_code == 302
    assert "已停用" in admin.get("/admin/users").get_data(as_text=True)
    # Their session ends with the account (the token it holds is void).
    assert newcomer.get("/inbox").status_code == 302


def test_tokens_are_listed_and_revoked_and_a_revoked_session_ends(app):
    clerk = Browser(app).login("renshi")
    admin = Browser(app).login("admin")
    page = admin.get("/admin/tokens").get_data(as_text=True)
    assert "renshi" in page and "吊销" in page
    token_id = (
        page.split('aria-label="吊销 renshi 的令牌 login"')[0].rsplit("/admin/tokens/", 1)[1].split("/")[0]
    )
    assert admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert clerk.get("/inbox").status_code == 302  # back to the login


def test_the_calendar_year_view_shows_holidays_and_makeup_days_and_an_admin_sets_a_day(app):
    admin = Browser(app).login("admin")
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert 'aria-label="10 月"' in page
    assert 'class="cal-holiday" title="2026-10-01 放假' in page  # 国庆节
    assert "cal-workday" in page  # a 调休 Saturday or Sunday
    admin.post("/admin/calendar?year=2026", {"day": "2026-06-03", "kind": "holiday", "note": "防汛停工"})
    page = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert 'class="cal-holiday cal-override" title="2026-06-03 放假：防汛停工"' in page
    assert admin.client.get("/api/v1/calendar/days?year=2026", headers={}).status_code == 401
    admin.post("/admin/calendar?year=2026", {"day": "2026-06-03", "kind": "reset"})
    assert "2026-06-03 工作日" in admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    # A year without the State Council's schedule is shown as provisional.
    assert "尚未公布（暂定）" in admin.get("/admin/calendar?year=2031").get_data(as_text=True)


def test_admin_pages_are_for_admins_only(app):
    clerk = Browser(app).login("renshi")
    for path in ("/admin/users", "/admin/calendar"):
        refused = clerk.get(path)
        assert refused.status_code == 403 and "只有管理员可以" in refused.get_data(as_text=True)
    clerk.get("/inbox")
    refused = clerk.post("/admin/users", {"username": "x", "password": PASSWORD})
    assert refused.status_code == 403
