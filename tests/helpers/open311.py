"""An Open311 client of the tests: an API key issued for a cadre, and a service request posted
as a form in JSON or XML."""

from backend.core.audit import CLI_ACTOR
from backend.repairs.service import open311_keys

V2 = "/open311/v2"


async def open311_key(runtime, employee_no: str = "D0005") -> str:
    _, api_key = await open311_keys.issue_key(CLI_ACTOR, runtime.cipher, "12345热线", employee_no)
    return api_key


async def post_request(client, api_key: str | None, fmt: str = "json", headers: dict | None = None, **fields):
    form = {
        "api_key": api_key,
        "service_code": "water",
        "description": "三楼卫生间水龙头漏水",
        "address_string": "男卫生间",
        **fields,
    }
    return await client.post(
        f"{V2}/requests.{fmt}", data={k: v for k, v in form.items() if v is not None}, headers=headers
    )
