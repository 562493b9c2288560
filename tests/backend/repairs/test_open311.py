"""Repairs through Open311 GeoReport v2: categories as services, reports as service requests, in
JSON and XML; a client with an API key files reports in its cadre's name and follows them; every
refusal comes in Open311's error shape; nobody's name is ever given out."""

import xml.etree.ElementTree as ET
from datetime import timedelta

from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ, now
from backend.repairs.models import RepairReport
from backend.repairs.service import open311_keys
from backend.repairs.service import reports as service
from backend.repairs.service.reports import Who
from tests.fixtures.repairs import file_report
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.open311 import V2, open311_key, post_request

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静")


async def _ids(client, api_key: str, **params) -> list[int]:
    response = await client.get(f"{V2}/requests.json", params={"api_key": api_key, **params})
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


def _xml(response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)


async def test_services_are_the_active_categories_and_need_no_key(client, repairs_world):
    response = await client.get(f"{V2}/services.json")
    assert response.status_code == 200, response.text
    water, lighting = response.json()
    assert water == {
        "service_code": "water",
        "service_name": "水电",
        "description": "水电类报修：2 个工作小时内受理，16 个工作小时内修复",
        "metadata": False,
        "type": "realtime",
        "keywords": None,
        "group": "报修",
    }
    assert lighting["service_code"] == "lighting"


async def test_services_in_xml_carry_the_spec_elements(client, repairs_world):
    root = _xml(await client.get(f"{V2}/services.xml"))
    assert root.tag == "services" and [s.tag for s in root] == ["service", "service"]
    water = root[0]
    assert [e.tag for e in water] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert (water.findtext("service_code"), water.findtext("service_name")) == ("water", "水电")
    assert (water.findtext("metadata"), water.findtext("type"), water.findtext("keywords")) == ("false", "realtime", "")


async def test_a_known_service_has_an_empty_definition_and_an_unknown_one_is_404(client, repairs_world):
    known = await client.get(f"{V2}/services/water.json")
    assert known.status_code == 200 and known.json() == {"service_code": "water", "attributes": []}
    root = _xml(await client.get(f"{V2}/services/water.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "water"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0
    unknown = await client.get(f"{V2}/services/potholes.json")
    assert unknown.status_code == 404
    [error] = unknown.json()
    assert error["code"] == 404 and "potholes" in error["description"]
    unknown_xml = await client.get(f"{V2}/services/potholes.xml")
    assert unknown_xml.status_code == 404 and _xml(unknown_xml).findtext("error/code") == "404"


async def test_a_posted_request_is_filed_as_the_keys_cadre_and_followed_in_both_apis(
    client, wechat, runtime, repairs_world
):
    api_key = await open311_key(runtime)
    # given a hotline desk posting a report for room 301
    posted = await post_request(client, api_key, address_id=str(repairs_world.room), lat="30.27", long="120.15")
    assert posted.status_code == 200, posted.text
    [filed] = posted.json()
    assert filed["account_id"] is None and filed["service_notice"] == "2 个工作小时内受理，16 个工作小时内修复"
    report_id = filed["service_request_id"]
    # then the cadre the key was issued to (陈静, D0005) sees it as hers in the mini-program
    token = await bound_token(client, wechat, "o-chenjing", "13800000005")
    mine = (await client.get("/mp/v1/repairs", headers=bearer(token))).json()
    assert [r["id"] for r in mine["items"]] == [report_id]
    assert mine["items"][0]["location_id"] == repairs_world.room and mine["items"][0]["spot"] == "男卫生间"
    # and the client finds it among the requests
    [request] = (await client.get(f"{V2}/requests.json", params={"api_key": api_key})).json()
    assert list(request) == REQUEST_FIELDS
    assert request["service_request_id"] == report_id and request["status"] == "open"
    assert (request["status_notes"], request["service_code"], request["service_name"]) == ("待受理", "water", "水电")
    assert request["address"] == "市民中心A座 3楼 301 男卫生间" and request["address_id"] == repairs_world.room
    assert request["agency_responsible"] == "水电班" and request["description"] == "三楼卫生间水龙头漏水"
    assert request["lat"] is None and request["long"] is None and request["media_url"] is None
    report = await RepairReport.get(id=report_id)
    assert (
        request["expected_datetime"] == report.resolve_due_at.astimezone(BUSINESS_TZ).replace(microsecond=0).isoformat()
    )
    assert request["requested_datetime"].endswith("+08:00")


async def test_a_post_with_a_bad_or_missing_key_is_refused_403_in_open311_shape(client, runtime, repairs_world):
    await open311_key(runtime)
    bad = await post_request(client, "not-a-key")
    assert bad.status_code == 403
    [error] = bad.json()
    assert error["code"] == 403 and "api_key" in error["description"]
    missing = await post_request(client, None, fmt="xml")
    assert missing.status_code == 403
    root = _xml(missing)
    assert root.tag == "errors" and root.findtext("error/code") == "403"
    assert await RepairReport.all().count() == 0


async def test_a_post_without_service_code_or_address_is_refused_400(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    no_code = await post_request(client, api_key, service_code="")
    assert no_code.status_code == 400
    assert no_code.json() == [{"code": 400, "description": "service_code：必填"}]
    # coordinates alone do not place a report here
    no_place = await post_request(client, api_key, address_string="", lat="30.27", long="120.15")
    assert no_place.status_code == 400 and "address_string" in no_place.json()[0]["description"]
    both = await post_request(client, api_key, service_code="", description="", fmt="xml")
    assert both.status_code == 400 and len(_xml(both).findall("error")) == 2
    assert await RepairReport.all().count() == 0


async def test_a_post_for_an_unknown_service_is_404_and_for_an_unknown_place_400(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    unknown_service = await post_request(client, api_key, service_code="potholes")
    assert unknown_service.status_code == 404 and unknown_service.json()[0]["code"] == 404
    unknown_place = await post_request(client, api_key, address_id="999999")
    assert unknown_place.status_code == 400 and unknown_place.json()[0]["description"] == "地点不存在或已停用"
    assert await RepairReport.all().count() == 0


async def test_the_same_idempotency_key_files_once(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    first = await post_request(client, api_key, headers={"Idempotency-Key": "hotline-call-0001"})
    again = await post_request(client, api_key, headers={"Idempotency-Key": "hotline-call-0001"})
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert await RepairReport.all().count() == 1
    # without the header every POST is a new report
    await post_request(client, api_key)
    await post_request(client, api_key)
    assert await RepairReport.all().count() == 3
    bad_key = await post_request(client, api_key, headers={"Idempotency-Key": "short"})
    assert bad_key.status_code == 400 and "Idempotency-Key" in bad_key.json()[0]["description"]


async def test_requests_are_filtered_by_status_service_dates_and_ids(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    reporter, at = await Who.of_cadre((await open311_keys.authenticate(runtime.cipher, api_key)).person_id), now()

    async def filed(category: int, days_ago: int) -> int:
        report, _ = await service.submit(
            reporter,
            f"ref-{category}-{days_ago}",
            category,
            repairs_world.room,
            "",
            "灯不亮了",
            [],
            at - timedelta(days=days_ago),
        )
        return report["id"]

    old = await filed(repairs_world.water, 100)
    water = await filed(repairs_world.water, 10)
    lighting = await filed(repairs_world.lighting, 5)
    rejected = await filed(repairs_world.water, 2)
    await service.close_without_repair(Who("admin", None, "调度"), rejected, "reject", "不属于维修范围", at)
    # by default: the last 90 days, newest first
    assert await _ids(client, api_key) == [rejected, lighting, water]
    assert await _ids(client, api_key, status="closed") == [rejected]
    assert await _ids(client, api_key, status="open") == [lighting, water]
    assert await _ids(client, api_key, status="open,closed") == [rejected, lighting, water]
    assert await _ids(client, api_key, service_code="lighting") == [lighting]
    assert await _ids(client, api_key, service_code="water,lighting", status="open") == [lighting, water]
    window = {"start_date": (at - timedelta(days=7)).isoformat(), "end_date": (at - timedelta(days=3)).isoformat()}
    assert await _ids(client, api_key, **window) == [lighting]
    assert await _ids(client, api_key, start_date=(at - timedelta(days=120)).isoformat()) == [old]
    assert await _ids(client, api_key, end_date="2000-01-01T00:00:00Z") == []
    # service_request_id overrides every other filter, the 90 days included
    assert await _ids(client, api_key, service_request_id=f"{old},{water}", status="closed") == [water, old]
    [closed] = (await client.get(f"{V2}/requests.json", params={"api_key": api_key, "status": "closed"})).json()
    assert closed["status_notes"] == "不予受理：不属于维修范围"
    # an offset whose "+" the client left unencoded still reads as an offset
    start = (at - timedelta(days=7)).replace(microsecond=0).isoformat()
    raw_plus = await client.get(f"{V2}/requests.json?api_key={api_key}&start_date={start}")
    assert [r["service_request_id"] for r in raw_plus.json()] == [rejected, lighting]


async def test_bad_request_filters_are_refused_400(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    for params in (
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"service_request_id": "1,x"},
        {"service_request_id": "1,²"},
        {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"},
        {"start_date": "2024-06-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"},
    ):
        refused = await client.get(f"{V2}/requests.json", params={"api_key": api_key, **params})
        assert refused.status_code == 400, params
        assert refused.json()[0]["code"] == 400


async def test_reading_requests_needs_a_valid_key(client, runtime, repairs_world):
    await open311_key(runtime)
    assert (await client.get(f"{V2}/requests.json")).status_code == 403
    assert (await client.get(f"{V2}/requests.xml", params={"api_key": "nope"})).status_code == 403
    assert (await client.get(f"{V2}/requests/1.json")).status_code == 403


async def test_one_request_in_json_and_xml_and_an_unknown_one_is_404(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    report_id = (await post_request(client, api_key, description='门锁坏了 <b>&amp;</b> "急"')).json()[0][
        "service_request_id"
    ]
    as_json = await client.get(f"{V2}/requests/{report_id}.json", params={"api_key": api_key})
    assert as_json.status_code == 200
    [request] = as_json.json()
    assert request["service_request_id"] == report_id
    root = _xml(await client.get(f"{V2}/requests/{report_id}.xml", params={"api_key": api_key}))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    assert [e.tag for e in root[0]] == REQUEST_FIELDS
    assert root[0].findtext("service_request_id") == str(report_id) and root[0].findtext("status") == "open"
    # markup in a description is text, escaped on the way out and read back as written
    assert root[0].findtext("description") == '门锁坏了 <b>&amp;</b> "急"'
    assert root[0].findtext("lat") == "" and root[0].findtext("media_url") == ""
    unknown = await client.get(f"{V2}/requests/99999.xml", params={"api_key": api_key})
    assert unknown.status_code == 404 and _xml(unknown).findtext("error/code") == "404"


async def test_a_post_answers_in_xml_too(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    root = _xml(await post_request(client, api_key, fmt="xml"))
    assert root.tag == "service_requests"
    assert [e.tag for e in root[0]] == ["service_request_id", "service_notice", "account_id"]
    assert int(root[0].findtext("service_request_id")) == (await RepairReport.first()).id


async def test_no_answer_names_a_reporter_or_technician(client, wechat, runtime, repairs_world):
    api_key = await open311_key(runtime)
    cadre = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    # given reports from the mini-program and from Open311, one assigned to technician 刘洋
    await file_report(client, cadre, repairs_world.water, repairs_world.room)
    await post_request(
        client,
        api_key,
        service_code="lighting",
        first_name="伟",
        last_name="张",
        phone="13800000001",
        email="zhangwei@example.gov.cn",
    )
    report_ids = list(await RepairReport.all().values_list("id", flat=True))
    answers = [await post_request(client, api_key, fmt=fmt) for fmt in ("json", "xml")]
    for fmt in ("json", "xml"):
        answers.append(await client.get(f"{V2}/services.{fmt}"))
        answers.append(await client.get(f"{V2}/requests.{fmt}", params={"api_key": api_key}))
        answers += [await client.get(f"{V2}/requests/{i}.{fmt}", params={"api_key": api_key}) for i in report_ids]
    assert all(a.status_code == 200 for a in answers)
    assert [(a.request.url, name) for a in answers for name in NAMES if name in a.text] == []
    assert all("13800000001" not in a.text and "example.gov.cn" not in a.text for a in answers)


async def test_a_revoked_key_is_refused(client, runtime, repairs_world):
    key, api_key = await open311_keys.issue_key(CLI_ACTOR, runtime.cipher, "城市大屏", "D0005")
    assert (await post_request(client, api_key)).status_code == 200
    await open311_keys.revoke_key(CLI_ACTOR, key["id"])
    assert (await post_request(client, api_key)).status_code == 403
    assert (await client.get(f"{V2}/requests.json", params={"api_key": api_key})).status_code == 403
    assert await RepairReport.all().count() == 1
    actions = await AuditEntry.filter(object_type="open311_key").order_by("id").values_list("action", flat=True)
    assert actions == ["repairs.issue_open311_key", "repairs.revoke_open311_key"]


async def test_unknown_paths_under_open311_answer_in_its_error_shape(client, repairs_world):
    missing = await client.get(f"{V2}/tokens/12345.xml")
    assert missing.status_code == 404 and _xml(missing).tag == "errors"
    wrong_method = await client.delete(f"{V2}/services.json")
    assert wrong_method.status_code == 405 and wrong_method.json()[0]["code"] == 405


async def test_open311_is_left_to_its_own_spec_not_the_openapi_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert paths and not [p for p in paths if p.startswith("/open311")]


async def test_far_dates_are_a_bad_request_not_a_crash(client, runtime, repairs_world):
    api_key = await open311_key(runtime)
    far = await client.get(f"{V2}/requests.json", params={"api_key": api_key, "start_date": "9999-12-31"})
    assert far.status_code == 400 and far.json()[0]["code"] == 400
