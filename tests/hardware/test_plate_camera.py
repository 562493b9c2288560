"""The plate camera simulator: its signature is what the backend checks, its ISAPI XML is what the
backend's parser reads, and special characters in a plate cannot break the XML."""

from backend.access.protocols import signature
from backend.access.protocols.isapi import parse
from backend.access.protocols.plate_json import parse as parse_json
from hardware.plate_camera import isapi_event, json_event, sign


def test_signed_headers_match_the_backends_signature():
    body = json_event("浙A12345", "e-1")
    headers = sign("s3cret", body, 1_700_000_000)
    assert headers == {
        "X-Camera-Timestamp": "1700000000",
        "X-Camera-Signature": signature("s3cret", "1700000000", body),
    }
    assert sign("other", body, 1_700_000_000)["X-Camera-Signature"] != headers["X-Camera-Signature"]


def test_json_event_reads_back_as_plate_and_event_id():
    plate, event_id, detail = parse_json(json_event("浙A12345", "e-1", 88))
    assert (plate, event_id, detail["confidence"]) == ("浙A12345", "e-1", 88)


def test_isapi_event_reads_back_with_its_uuid_and_escapes_the_plate():
    plate, event_id, detail = parse(isapi_event("浙A<&>5", "u-1", 91))
    assert (plate, event_id, detail["confidence"], detail["protocol"]) == ("浙A<&>5", "u-1", "91", "isapi")


def test_isapi_event_of_another_kind_is_not_a_plate():
    assert parse(isapi_event("", event_type="videoloss")) is None
