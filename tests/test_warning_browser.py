"""A duty officer drafts a 较大 warning (watching the public notice take shape), a deputy
commander approves it, the board shows it in effect with its channels, and the deputy, who
issued it, lifts it."""

import pytest
from playwright.sync_api import expect

from directory.choices import PositionCode
from early_warnings.models import EarlyWarning
from tests.conftest import logged_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_draft_approve_board_lift(browser, live_server, make_user):
    duty, deputy = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.DEPUTY_COMMANDER)
    office_context, office = logged_in(browser, live_server, duty)
    deputy_context, leader = logged_in(browser, live_server, deputy)
    try:
        office.goto(f"{live_server.url}/warnings/new/")
        office.select_option("#id_category", "heating_facility")
        office.select_option("#id_level", "larger")
        office.check("input[name=townships] >> nth=0")
        office.fill("#id_places", "东街一带")
        office.fill("#id_starts_at", "2026-12-01T06:00")
        office.fill("#id_ends_at", "2026-12-01T18:00")
        office.fill("#id_impact", "主管道抢修，约2000户可能停暖")
        office.fill("#id_watch_for", "室温下降，注意老人儿童保暖")
        office.fill("#id_measures", "关好门窗，安全用电取暖")
        office.select_option("#id_source", "own_inspection")
        expect(office.locator("#notice-preview")).to_contain_text("【泽州县供热较大风险预警】")
        expect(office.locator("#notice-preview")).to_contain_text("请您：关好门窗")
        office.click("button[name=submit]")
        expect(office.locator("#warning-state")).to_have_text("待批准")

        leader.goto(f"{live_server.url}/response/inbox/")
        leader.locator(".proposal-card[data-warning] form[action$='/approve/'] button").click()
        expect(leader.locator(".proposal-card[data-warning]")).to_have_count(0)

        leader.goto(f"{live_server.url}/warnings/")
        row = leader.locator("#in_effect tr[data-warning]")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("较大风险预警")
        expect(row.locator(".channels")).to_contain_text("微信")
        expect(row.locator(".channels")).to_contain_text("广播")

        row.locator("a").first.click()
        leader.fill("#lift-reason", "抢修完成，恢复供热")
        leader.click("#lift-warning")
        expect(leader.locator("#warning-state")).to_have_text("已解除")
        leader.goto(f"{live_server.url}/warnings/")
        expect(leader.locator("#lifted tr[data-warning]")).to_have_count(1)
        expect(leader.locator("#in_effect tr[data-warning]")).to_have_count(0)
    finally:
        office_context.close()
        deputy_context.close()
    warning = EarlyWarning.objects.get()
    assert warning.approved_by == deputy and warning.lifted_by == deputy
    assert [r.msg_type for r in warning.revisions.all()] == ["Alert", "Cancel"]
