"""Error pages in the product's style (issue 12): in the site's layout, Chinese by default,
with a way back; a township officer opening another township's incident gets the styled 404
whether DEBUG is on or off (never Django's debug page, which lists the site's addresses); the
quick start runs with DEBUG off unless a developer opts in."""

import runpy

import pytest
from django.test import Client, RequestFactory, override_settings
from django.utils import translation

from directory.choices import PositionCode
from directory.models import Unit
from tests.incident_helpers import report_incident
from zezhou_heat.views import server_error

pytestmark = pytest.mark.django_db
P = PositionCode


@pytest.fixture
def elsewhere(users):
    """An incident in 下村镇: the test township officer is in 南村镇."""
    return report_incident(users(P.DUTY_OFFICER), township=Unit.objects.get(code="tw_xiacun"))


def assert_styled_not_found(answer):
    page = answer.content.decode()
    assert answer.status_code == 404
    assert '<header class="topbar' in page  # the site's layout, menu and all
    assert "<h1>页面不存在</h1>" in page and "不在您的岗位可查看的范围内" in page
    assert 'href="/">返回首页</a>' in page
    assert "URLconf" not in page and "Django" not in page  # not the debug page


@pytest.mark.parametrize("debug", [False, True])
def test_another_township_s_incident_is_the_styled_404(client, users, elsewhere, debug):
    client.force_login(users(P.TOWNSHIP_OFFICER))
    with override_settings(DEBUG=debug):
        for url in (f"/incidents/{elsewhere.pk}/", f"/incidents/{elsewhere.pk}/written/"):
            assert_styled_not_found(client.get(url))


@pytest.mark.parametrize("debug", [False, True])
def test_a_page_action_on_an_unseen_incident_is_the_styled_404(client, users, elsewhere, debug):
    client.force_login(users(P.TOWNSHIP_OFFICER))
    with override_settings(DEBUG=debug):
        answer = client.post(f"/response/incidents/{elsewhere.pk}/propose/", {"level": "III"})
    assert_styled_not_found(answer)


def test_the_404_in_english_when_english_is_chosen(client, users, elsewhere):
    client.cookies["django_language"] = "en"
    client.force_login(users(P.TOWNSHIP_OFFICER))
    page = client.get(f"/incidents/{elsewhere.pk}/").content.decode()
    assert "<h1>Not found</h1>" in page and "Back to the start page" in page


def test_an_address_no_route_takes_is_the_styled_404_with_debug_off(client, users):
    client.force_login(users(P.DUTY_OFFICER))
    assert_styled_not_found(client.get("/no/such/page/"))


def test_the_403_page_is_styled_with_the_reason(client, users):
    client.force_login(users(P.ADMINISTRATOR))  # sees no incidents, hence no command room
    answer = client.get("/command/")
    page = answer.content.decode()
    assert answer.status_code == 403
    assert '<header class="topbar' in page and "<h1>无权访问</h1>" in page
    assert "指挥大厅显示事件" in page or "岗位" in page  # the view's own reason, in Chinese
    assert 'href="/">返回首页</a>' in page


def test_the_500_page_stands_alone_in_chinese_with_a_way_back():
    request = RequestFactory().get("/incidents/")
    with translation.override("zh-hans"):
        answer = server_error(request)  # no exception of the database's: the 500 page
    page = answer.content.decode()
    assert answer.status_code == 500
    assert "<h1>出错了</h1>" in page and "错误已记录" in page
    assert 'href="/">返回首页</a>' in page
    assert "mainnav" not in page  # no menu: it would read the database, which may be down


def test_an_expired_form_is_a_styled_403_in_chinese(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users(P.DUTY_OFFICER))
    answer = client.post("/notifications/", {})  # no CSRF token: as after a new sign-in
    page = answer.content.decode()
    assert answer.status_code == 403
    assert "<h1>表单已过期</h1>" in page and "本次操作未保存" in page
    assert 'href="/">返回首页</a>' in page


@pytest.mark.filterwarnings("ignore:'zezhou_heat.settings.local' found in sys.modules")
def test_the_quick_start_runs_with_debug_off_unless_a_developer_opts_in(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    assert runpy.run_module("zezhou_heat.settings.local")["DEBUG"] is False
    monkeypatch.setenv("DEBUG", "1")
    assert runpy.run_module("zezhou_heat.settings.local")["DEBUG"] is True
