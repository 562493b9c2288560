"""Refreshing the risk parameters: the card categories are asked for by the version held, kept
while the backend leaves them out, replaced when it sends new ones, and remembered across a
restart (a terminal restarted while offline still prices a contractor's card as one)."""

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from kiosk.backend_client import BackendClient
from kiosk.journal import Journal
from kiosk.sync import Link
from tests.helpers.kiosk import LUNCH, RISK_BODY


class RiskEndpoint:
    """GET /device/v1/canteen/risk that leaves the categories out when asked with their version."""

    def __init__(self, categories: dict, version: str):
        self.categories, self.version = categories, version
        self.asked_with: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/device/v1/canteen/risk"
        held = parse_qs(urlsplit(str(request.url)).query).get("card_categories_version", [None])[0]
        self.asked_with.append(held)
        body = {key: value for key, value in RISK_BODY.items() if key != "card_categories"}
        body["card_categories_version"] = self.version
        if held != self.version:
            body["card_categories"] = self.categories
        return httpx.Response(200, json=body)


@pytest.fixture
def journal(tmp_path):
    opened = Journal(tmp_path / "journal.sqlite3")
    yield opened
    opened.close()


def link_to(endpoint: RiskEndpoint, journal: Journal) -> Link:
    backend = BackendClient("http://backend.test", "T-1", "secret", transport=httpx.MockTransport(endpoint))
    return Link(backend, journal, lambda: LUNCH, lambda: None)


async def test_card_categories_are_kept_while_unchanged_and_replaced_when_changed(journal):
    endpoint = RiskEndpoint({"contractor": ["04C0C0C0"]}, "v1")
    link = link_to(endpoint, journal)
    await link._refresh()
    await link._refresh()
    assert endpoint.asked_with == [None, "v1"]
    assert link.risk.category_of("04C0C0C0") == "contractor" and link.risk.card_categories_version == "v1"

    endpoint.categories, endpoint.version = {"contractor": ["04C0C0C1"], "visitor": ["04C0C0C0"]}, "v2"
    await link._refresh()
    assert endpoint.asked_with[-1] == "v1"
    assert (link.risk.category_of("04C0C0C0"), link.risk.category_of("04C0C0C1")) == ("visitor", "contractor")


async def test_the_categories_survive_a_restart_and_are_asked_for_by_their_version(journal):
    endpoint = RiskEndpoint({"contractor": ["04C0C0C0"]}, "v1")
    await link_to(endpoint, journal)._refresh()
    remembered = json.loads(journal.recall("risk_parameters"))
    assert remembered["card_categories"] == {"contractor": ["04C0C0C0"]}

    restarted = link_to(endpoint, journal)
    await restarted.load()
    assert restarted.risk.category_of("04C0C0C0") == "contractor"
    await restarted._refresh()
    assert endpoint.asked_with[-1] == "v1" and restarted.risk.category_of("04C0C0C0") == "contractor"


async def test_parameters_remembered_without_categories_ask_for_them_whole(journal):
    """Remembered by an agent from before the card categories: none held, so none named."""
    journal.remember(
        "risk_parameters",
        json.dumps({k: v for k, v in RISK_BODY.items() if k not in ("card_categories", "card_categories_version")}),
    )
    endpoint = RiskEndpoint({"contractor": ["04C0C0C0"]}, "v1")
    link = link_to(endpoint, journal)
    await link.load()
    assert link.risk.card_categories == {}
    await link._refresh()
    assert endpoint.asked_with == [None] and link.risk.category_of("04C0C0C0") == "contractor"
