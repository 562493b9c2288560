"""How a domain module declares itself, and the registries built from the list of modules.

Each module has a `module.py` holding one `Module`: its models, routes, console pages and
navigation, permissions, audit labels and the Chinese words its audit entries are shown in,
jobs, dashboard cards, sections of a person's page, what it does when a person leaves, demo
data, reconcile checks, the objects a role can be granted over and the templates of the notices
it sends, the kinds of request it has approved (backend.approvals), and the permissions it gives
the preset posts, the WeChat Pay orders it places (by the prefix of their out_trade_no), and
the tasks each server worker runs for as long as it serves. The
app, the ORM set-up, the
navigation, the permission registry, the audit labels and the job registry loop over
`backend.modules.MODULE_PACKAGES`, so adding a module touches its own folder, its migration and
that one list.

Code is named by dotted reference ("backend.canteen.admin_api:bp"), not imported, so that
reading the declarations (the ORM set-up for `tortoise makemigrations`, the job worker) does not
import every route and page; `resolve` imports a reference when it is used, and the app checks
every reference when it is built.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from backend.core.permissions import CorePermission, Permission, PermissionRegistry


def resolve(reference: str) -> Any:
    """The object a "package.module:attribute" reference names (a module for "package.module")."""
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str
    permission: Permission | None


@dataclass(frozen=True)
class NavSection:
    """A heading of the console's navigation; modules naming the same title share one section,
    placed by the smallest `order` any of them gives."""

    title: str
    order: int
    items: tuple[NavItem, ...]


@dataclass(frozen=True)
class DashboardCard:
    """A card on the console's dashboard: `template` defines the macros `stats(c)`, `panel(c)` and
    `alerts(c)`, given what `load(principal, day)` returns (with `alerting` true when it has an
    alert to show); shown to admins holding `permission`."""

    template: str
    load: str
    permission: Permission
    order: int = 100


@dataclass(frozen=True)
class PersonSection:
    """A part of a person's console page (/console/people/<id>) a module contributes: `template`
    defines a macro `section(c)`, given what `load(principal, person)` returns (None hides it);
    shown to admins holding `permission`. `flashes` are the messages of the forms it posts, by the
    `done` value their redirect carries."""

    template: str
    load: str
    permission: Permission
    order: int = 100
    flashes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonLeaving:
    """What a module does when a person leaves (离职): the leave form of accounts runs every
    module's part, in module order, inside the one transaction that holds the person's row lock,
    so that the person is marked as left together with what the modules settle, or nothing is.

    References (the types are in `backend.accounts.service.leaving`):
    `preview(person_id, permitted) -> LeavingPreview` says what leaving will do here, the fields
    the leave form must ask for it (none when there is nothing to ask) and what stops it;
    `leave(conn, actor, departure) -> list[str]` does it on `conn` and says what it did.
    `permitted` is whether the admin holds `permission`: the module decides what needs it
    (paying out cash does, cancelling cards does not)."""

    preview: str
    leave: str
    permission: Permission


@dataclass(frozen=True)
class ScopedObject:
    """The kind of object of a module that a role can be granted over (a canteen today, a fleet
    pool or a warehouse tomorrow); the module's permissions marked `Reach.OBJECT` then reach only
    that object. References: `choices()` lists (code, name) for the role editor, `find(code)`
    gives the id (raising the module's not-found error), `describe(ids)` gives {id: (code, name)}."""

    label: str
    choices: str
    find: str
    describe: str
    # The error code `find` raises for an unknown code, shown at the role editor's field.
    not_found_code: str


@dataclass(frozen=True)
class AuditedObject:
    """A kind of object a module's audit entries are about, as the audit log names it to staff:
    `label` is its Chinese noun ("食堂"). What names one object, if anything: `name`, the field
    of one of the module's own models holding it ("backend.canteen.models:Canteen.name"), or
    `describe`, a reference to `async (ids: list[int]) -> {id: name}` for a name made of several
    things ("张三 12.00 元"). An object since deleted is shown by its number alone."""

    label: str
    name: str | None = None
    describe: str | None = None

    @property
    def model(self) -> str | None:
        """The reference to the model `name` reads."""
        return self.name.rpartition(".")[0] if self.name else None


@dataclass(frozen=True)
class NoticeTemplate:
    """A WeChat subscribe-message template (订阅消息模板) that a module's notices are sent with
    (see backend.notices). `setting` names the Settings field holding WeChat's id of the template
    (empty: not configured, and such notices are refused rather than retried). `render` is a
    reference to `async (subject_id) -> backend.notices.service.Message | None`: the message
    about the subject the notice was queued for, read when it is sent (None: the subject is
    gone)."""

    setting: str
    render: str


@dataclass(frozen=True)
class ApprovalKind:
    """A kind of request a module has approved through backend.approvals (a car trip, an asset
    transfer): `title` names it to people (用车申请); `conditions` are the facts a request may
    come with that can add a step to its chain (fact code -> Chinese label, e.g. {"outside_city":
    "出市"}); `decided` is a reference to `async (conn, subject_id, outcome: ApprovalOutcome, at)
    -> None`, run inside the deciding transaction when the whole chain approves or a step
    refuses; `page` is the mini-program page an approver's notice opens (given `?id=<approval>`).
    `default_steps` is the chain a request takes while no flow is set up for the kind, as
    (approver role value, condition ("" always), step title), e.g. (("unit_leader", "", "单位审批"),
    ("authority", "", "主管部门审批")); empty, the unit's leader alone approves (单位审批)."""

    title: str
    conditions: Mapping[str, str]
    decided: str
    page: str
    default_steps: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class WeChatPayOrders:
    """The WeChat Pay orders a module places, declared under the two upper-case letters their
    out_trade_no starts with ("TU" top-ups, "SP" shop orders). The one notification endpoint
    (the wallet's) verifies each notification and hands it to the module by that prefix:
    `paid` is a reference to `async (PaymentNotice) -> str`, `refunded` (None: the module never
    refunds by WeChat Pay) to `async (RefundNotice) -> str`; each applies the notice
    idempotently and says what happened in one word. `title` names the orders in logs and docs."""

    title: str
    paid: str
    refunded: str | None = None


_WECHATPAY_PREFIX = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class Module:
    name: str
    title: str
    # The package the module lives in; set by `load` from the list of modules.
    package: str = ""
    models: str | None = None
    permissions: type[Permission] | None = None
    routes: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    nav: tuple[NavSection, ...] = ()
    audit_labels: Mapping[str, str] = field(default_factory=dict)
    # How the audit log shows its actions' entries to staff: the Chinese name of each field of
    # their before/after (a field ending in `_fen` is money and is shown in yuan), what the
    # stored values of a field mean (a reference to a LabelledEnum, or to a function returning
    # members with `value` and `label`, e.g. the permission registry), and each object type.
    audit_fields: Mapping[str, str] = field(default_factory=dict)
    audit_values: Mapping[str, str] = field(default_factory=dict)
    audit_objects: Mapping[str, AuditedObject] = field(default_factory=dict)
    jobs: str | None = None
    # Its settings: a frozen dataclass with `from_env(environ)` (by convention in its config.py).
    settings: str | None = None
    dashboard: tuple[DashboardCard, ...] = ()
    person_sections: tuple[PersonSection, ...] = ()
    person_leaving: tuple[PersonLeaving, ...] = ()
    demo: str | None = None
    reconcile: tuple[str, ...] = ()
    scoped_object: ScopedObject | None = None
    # Per-process caches of what the tables hold, emptied by the tests between tests.
    caches: tuple[str, ...] = ()
    # Route prefixes with an error page of their own (prefix -> "module:renderer").
    error_renderers: Mapping[str, str] = field(default_factory=dict)
    # Route prefixes documented by their own published spec, left out of /openapi.json.
    undocumented_prefixes: tuple[str, ...] = ()
    # The subscribe-message templates its notices name, by "<module>.<name>".
    notice_templates: Mapping[str, NoticeTemplate] = field(default_factory=dict)
    # The kinds of request it has approved through backend.approvals, by "<module>.<name>".
    approval_kinds: Mapping[str, ApprovalKind] = field(default_factory=dict)
    # What it contributes to the preset roles of the usual posts (岗位预设), by the post's Chinese
    # name: the role editor offers each post with the union of every active module's share.
    presets: Mapping[str, tuple[Permission, ...]] = field(default_factory=dict)
    # The WeChat Pay orders it places, by the two upper-case letters their out_trade_no starts
    # with: the notification endpoint hands each verified notice to the module of its prefix.
    wechatpay_orders: Mapping[str, WeChatPayOrders] = field(default_factory=dict)
    # What each server worker runs for as long as it serves: references to `async (runtime) ->
    # None` coroutines, started after the runtime opens and cancelled before it closes (a
    # module's listener on Redis for the connections this worker holds).
    worker_tasks: tuple[str, ...] = ()
    # The parts a cadre plays in it that open services in the mini-program (a technician's tasks,
    # a driver's trips): a reference to `async (person_id) -> tuple[str, ...]` naming each as
    # "<module>.<role>" (repairs.technician); the mini-program's home shows those services.
    cadre_roles: str | None = None

    @property
    def templates(self) -> Path:
        return Path(importlib.import_module(self.package).__path__[0]) / "templates"


@cache
def load(names: tuple[str, ...]) -> tuple[Module, ...]:
    modules = []
    for package in names:
        module = importlib.import_module(f"{package}.module").MODULE
        if not isinstance(module, Module) or module.name != package.rsplit(".", 1)[-1]:
            raise TypeError(f"{package}.module.MODULE must be the Module named {package.rsplit('.', 1)[-1]!r}")
        foreign = [p.value for p in module.permissions or () if p.module != module.name]
        if foreign:
            raise ValueError(f"module {module.name!r} declares permissions of another module: {foreign}")
        modules.append(replace(module, package=package))
    if len({m.name for m in modules}) != len(modules):
        raise ValueError(f"two modules share a name in {names}")
    return tuple(modules)


def nav_sections(modules: Iterable[Module]) -> tuple[NavSection, ...]:
    """The modules' sections merged by title, in order; items keep the modules' order."""
    merged: dict[str, tuple[int, list[NavItem]]] = {}
    for module in modules:
        for section in module.nav:
            order, items = merged.get(section.title, (section.order, []))
            merged[section.title] = (min(order, section.order), [*items, *section.items])
    ranked = sorted(merged.items(), key=lambda entry: entry[1][0])
    return tuple(NavSection(title, order, tuple(items)) for title, (order, items) in ranked)


def audit_labels(modules: Iterable[Module]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for module in modules:
        for action, label in module.audit_labels.items():
            if not action.startswith(f"{module.name}."):
                raise ValueError(f"audit action {action!r} of module {module.name!r} must start with {module.name}.")
            labels[action] = label
    return labels


def notice_templates(modules: Iterable[Module]) -> dict[str, NoticeTemplate]:
    """Every module's notice templates by name; a name must start with its module's name and a
    template must name a field of its module's settings."""
    templates: dict[str, NoticeTemplate] = {}
    for module in modules:
        settings_fields = {f.name for f in fields(resolve(module.settings))} if module.settings else set()
        for name, template in module.notice_templates.items():
            if not name.startswith(f"{module.name}."):
                raise ValueError(f"notice template {name!r} of module {module.name!r} must start with {module.name}.")
            if template.setting not in settings_fields:
                raise ValueError(f"notice template {name!r} names {template.setting!r}, which is not a setting")
            templates[name] = template
    return templates


def approval_kinds(modules: Iterable[Module]) -> dict[str, ApprovalKind]:
    """Every module's approval kinds by name; a name must start with its module's name."""
    kinds: dict[str, ApprovalKind] = {}
    for module in modules:
        for name, kind in module.approval_kinds.items():
            if not name.startswith(f"{module.name}."):
                raise ValueError(f"approval kind {name!r} of module {module.name!r} must start with {module.name}.")
            for role, condition, title in kind.default_steps:
                if (condition and condition not in kind.conditions) or not 1 <= len(title) <= 30 or not role:
                    raise ValueError(f"approval kind {name!r} has a default step {(role, condition, title)!r}")
            kinds[name] = kind
    return kinds


def wechatpay_orders(modules: Iterable[Module]) -> dict[str, WeChatPayOrders]:
    """Every module's WeChat Pay orders by out_trade_no prefix: two upper-case letters, each
    declared by one module only (a notice must have exactly one module to go to)."""
    orders: dict[str, WeChatPayOrders] = {}
    owners: dict[str, str] = {}
    for module in modules:
        for prefix, declared in module.wechatpay_orders.items():
            if not _WECHATPAY_PREFIX.fullmatch(prefix):
                raise ValueError(
                    f"WeChat Pay prefix {prefix!r} of module {module.name!r} must be two upper-case letters"
                )
            if prefix in owners:
                raise ValueError(f"WeChat Pay prefix {prefix!r} is declared by {owners[prefix]!r} and {module.name!r}")
            owners[prefix] = module.name
            orders[prefix] = declared
    return orders


def preset_roles(modules: Iterable[Module], registry: PermissionRegistry) -> dict[str, tuple[Permission, ...]]:
    """The preset posts by name, each with the permissions every module contributes, in module
    order. A module contributes only its own permissions, and each must be declared: a preset
    naming anything else stops the build, as a page naming it would."""
    presets: dict[str, list[Permission]] = {}
    for module in modules:
        for post, permissions in module.presets.items():
            for permission in permissions:
                registry.require(permission)
                if permission.module != module.name:
                    raise ValueError(f"module {module.name!r} puts {permission.value!r} of another module in {post!r}")
            presets.setdefault(post, []).extend(p for p in permissions if p not in presets.get(post, ()))
    return {post: tuple(permissions) for post, permissions in presets.items()}


def permission_groups(
    modules: Iterable[Module], registry: PermissionRegistry
) -> tuple[tuple[str, tuple[Permission, ...]], ...]:
    """The declared permissions under their module's title, in module order: how the role
    editor lists them."""
    grouped: dict[str, tuple[str, list[Permission]]] = {m.name: (m.title, []) for m in modules}
    for permission in registry:
        grouped[permission.module][1].append(permission)
    return tuple((title, tuple(permissions)) for title, permissions in grouped.values() if permissions)


def references(module: Module) -> list[str]:
    """Every dotted reference a module declares (the app resolves them all when it is built)."""
    refs = [*module.routes, *module.pages, *module.reconcile, *module.caches, *module.error_renderers.values()]
    refs += [*module.worker_tasks]
    refs += [card.load for card in module.dashboard] + [section.load for section in module.person_sections]
    refs += [ref for leaving in module.person_leaving for ref in (leaving.preview, leaving.leave)]
    refs += [r for r in (module.models, module.jobs, module.demo, module.settings, module.cadre_roles) if r]
    refs += [template.render for template in module.notice_templates.values()]
    refs += [kind.decided for kind in module.approval_kinds.values()]
    refs += [r for o in module.wechatpay_orders.values() for r in (o.paid, o.refunded) if r]
    refs += [*module.audit_values.values()]
    refs += [r for o in module.audit_objects.values() for r in (o.model, o.describe) if r]
    if module.scoped_object:
        refs += [module.scoped_object.choices, module.scoped_object.find, module.scoped_object.describe]
    return refs


# The console shell's own entries: the dashboard first, the audit log under 系统管理.
SHELL_NAV = (
    NavSection("总览", 0, (NavItem("仪表盘", "/console/", None),)),
    NavSection("系统管理", 90, (NavItem("审计日志", "/console/audit", CorePermission.VIEW_AUDIT),)),
)
# The console shell declares the core permissions' entries, so it is the module named core; its
# share of the preset posts: finance checks what was done to the money.
SHELL = Module(name="core", title="系统管理", nav=SHELL_NAV, presets={"财务": (CorePermission.VIEW_AUDIT,)})


@dataclass(frozen=True)
class Platform:
    """What the app is built from: the active modules and the registries made from them."""

    modules: tuple[Module, ...]
    registry: PermissionRegistry
    nav: tuple[NavSection, ...]
    audit_labels: dict[str, str]
    dashboard: tuple[DashboardCard, ...]
    person_sections: tuple[PersonSection, ...]
    notice_templates: dict[str, NoticeTemplate]
    approval_kinds: dict[str, ApprovalKind]
    presets: dict[str, tuple[Permission, ...]]
    permission_groups: tuple[tuple[str, tuple[Permission, ...]], ...]
    wechatpay_orders: dict[str, WeChatPayOrders]

    @classmethod
    def of(cls, modules: tuple[Module, ...], registry: PermissionRegistry) -> Platform:
        nav = nav_sections((*modules, SHELL))
        dashboard = tuple(sorted((c for m in modules for c in m.dashboard), key=lambda c: c.order))
        sections = tuple(sorted((s for m in modules for s in m.person_sections), key=lambda s: s.order))
        # Entries shown by permission fail closed too: an undeclared one stops the build.
        shown = [i.permission for s in nav for i in s.items]
        shown += [c.permission for c in dashboard] + [s.permission for s in sections]
        shown += [leaving.permission for m in modules for leaving in m.person_leaving]
        for permission in shown:
            if permission is not None:
                registry.require(permission)
        return cls(
            modules=modules,
            registry=registry,
            nav=nav,
            audit_labels=audit_labels(modules),
            dashboard=dashboard,
            person_sections=sections,
            notice_templates=notice_templates(modules),
            approval_kinds=approval_kinds(modules),
            presets=preset_roles((*modules, SHELL), registry),
            permission_groups=permission_groups((*modules, SHELL), registry),
            wechatpay_orders=wechatpay_orders(modules),
        )
