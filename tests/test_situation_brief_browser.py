"""The situation brief in a real browser at A4 width: printed without menus, nothing wider
than the page, in both languages. Screenshots go to var/ for a person to look at."""

from pathlib import Path

import pytest

from directory.choices import PositionCode as P
from tests.brief_helpers import build_bad_day
from tests.conftest import logged_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4_WIDTH = 794  # 210 mm at 96 px per inch
SHOTS = Path(__file__).resolve().parent.parent / "var"

WIDER_THAN_PAGE = """width => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length)
  .map(e => e.tagName + '.' + e.className)"""


@pytest.mark.parametrize("language, title", [("zh-hans", "态势简报"), ("en", "Situation brief")])
def test_the_brief_prints_on_a4_without_menus(browser, live_server, users, make_user,
                                               language, title):
    day = build_bad_day(users, make_user)
    context, page = logged_in(browser, live_server, users(P.COMMANDER))
    context.add_cookies([{"name": "django_language", "value": language,
                          "url": live_server.url}])
    page.set_viewport_size({"width": A4_WIDTH, "height": 1123})
    page.goto(f"{live_server.url}/command/brief/")
    page.emulate_media(media="print")
    assert page.locator("h1").inner_text() == title
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".brief-tools").is_visible()
    for incident in ("busy", "quiet", "drill"):
        assert page.locator(f'#brief-incidents tr[data-incident="{day[incident].pk}"]').is_visible()
    assert page.evaluate(WIDER_THAN_PAGE, A4_WIDTH) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_WIDTH
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"situation-brief-a4-{language}.png"), full_page=True)
    context.close()
