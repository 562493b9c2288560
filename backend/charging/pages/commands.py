"""Console page of remote commands (远程指令): the form that sends a command to a pile (audited;
the pile's answer, or that it is offline or did not answer in time, is shown at once) and the
history of every command sent to piles, by staff, by cadres' starts or by the platform itself
(balance stops, power sharing)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.charging.models import Command, CommandState
from backend.charging.pages.common import SEND, VIEW, pile_options
from backend.charging.schemas import CommandIn
from backend.charging.service import piles
from backend.charging.service.commands import Action, recorded
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, fetch
from backend.modules import settings_of

bp = Blueprint("console_charging_commands", url_prefix="/console/charging")

FLASH = {
    CommandState.ACCEPTED.value: "充电桩已接受指令",
    CommandState.REJECTED.value: "充电桩拒绝了指令",
    CommandState.FAILED.value: "充电桩无法执行该指令（报文出错）",
    CommandState.TIMED_OUT.value: "充电桩没有按时应答，请稍后在看板上查看状态",
    CommandState.OFFLINE.value: "充电桩不在线，指令未送达",
}
COMMAND_FIELDS = {
    "charging.pile_not_found": "pile_id",
    "charging.connector_invalid": "connector_id",
}
TRIGGER_LABELS = {
    "BootNotification": "启动信息",
    "Heartbeat": "心跳",
    "MeterValues": "电表读数",
    "StatusNotification": "枪状态",
    "DiagnosticsStatusNotification": "诊断状态",
    "FirmwareStatusNotification": "固件升级状态",
}

HISTORY = Table(
    title="远程指令",
    columns=(
        Column("sent_at", "发送时间", sort="sent_at", kind="datetime"),
        Column("pile_name", "充电桩"),
        Column("action_label", "指令", sort="action"),
        Column("payload_text", "参数"),
        Column("by", "发送方"),
        Column("state_label", "结果", sort="state"),
    ),
    default_sort="-sent_at",
    filters=(
        Filter("pile", "充电桩", kind="select"),
        Filter("action", "指令", kind="select", options=tuple(Action.labels().items())),
        Filter("state", "结果", kind="select", options=tuple(CommandState.labels().items())),
    ),
)

PAYLOAD_WORDS = {
    "connector_id": "枪号",
    "id_tag": "卡号",
    "transaction_id": "充电记录",
    "operative": "可用",
    "hard": "硬重启",
    "keys": "配置项",
    "key": "配置项",
    "value": "取值",
    "message": "上报",
    "limit_w": "功率上限（瓦）",
}


def _words(values: dict) -> str:
    """A payload or an answer as staff read it: known names in Chinese, yes/no for flags."""
    shown = []
    for key, value in values.items():
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif key == "message":
            value = TRIGGER_LABELS.get(value, value)
        elif isinstance(value, list):
            value = "、".join(str(v) for v in value) or "全部"
        shown.append(f"{PAYLOAD_WORDS.get(key, '内容')}：{value}")
    return "；".join(shown)


def _row(command: Command) -> dict:
    by = "平台自动"
    if command.admin_id:
        by = f"管理员 {command.admin.username}" if command.admin else "管理员"
    elif command.person_id:
        by = "小程序启动"
    action_labels = Action.labels()
    return {
        "id": command.id,
        "sent_at": command.sent_at,
        "pile_name": f"{command.pile.name}（{command.pile.box_id}）",
        "action": command.action,
        "action_label": action_labels.get(command.action, "其他指令"),
        # Rows written before card numbers were masked are masked as they are shown.
        "payload_text": _words(recorded(command.payload or {})),
        "by": by,
        "state": command.state.value,
        "state_label": command.state.label,
    }


async def _commands_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    options = await pile_options()
    state = HISTORY.with_options("pile", tuple(options)).state(request)
    query = Command.all().select_related("pile", "admin")
    if pile := state.filters["pile"]:
        query = query.filter(pile_id=int(pile))
    if state.filters["action"]:
        query = query.filter(action=state.filters["action"])
    if state.filters["state"]:
        query = query.filter(state=state.filters["state"])
    await fetch(state, query, _row)
    return await page(
        request,
        "charging/commands.html",
        status=status,
        state=state,
        flash=flash(request, FLASH),
        flash_kind="ok" if request.args.get("done") == CommandState.ACCEPTED.value else "warn",
        can_send=can(request, SEND),
        pile_options=await pile_options(active_only=True),
        action_options=list(Action.labels().items()),
        trigger_options=list(TRIGGER_LABELS.items()),
        fleet_card_options=[(c["id_tag"], c["label"]) for c in await piles.fleet_cards_to_start()],
        form=form or {"pile_id": request.args.get("pile", "")},
        errors=errors or FormErrors(),
    )


@bp.get("/commands")
@console_page(VIEW)
async def commands(request: Request):
    """`?pile=<id>` chooses the pile in the send form and filters the history to it."""
    return await _commands_page(request)


@bp.post("/commands")
@console_page(SEND)
async def send(request: Request):
    data = form_data(request)
    for flag in ("operative", "hard"):
        data[flag] = flag in (request.form or {})
    pile_id = data.pop("pile_id", "")
    if not pile_id.isdigit():
        return await _commands_page(request, 422, posted(request), FormErrors({"pile_id": "请选择充电桩"}))
    settings = settings_of(runtime(request).settings, "charging")
    answer, errors = await submit(
        CommandIn,
        data,
        lambda body: piles.command_pile(
            actor(request),
            runtime(request).redis,
            int(pile_id),
            body.action,
            body.model_dump(exclude={"action"}),
            settings=settings,
        ),
        COMMAND_FIELDS,
    )
    if answer is None:
        return await _commands_page(request, 422, posted(request), errors)
    return redirect(f"/console/charging/commands?pile={pile_id}&done={answer.state.value}")
