"""The schema comes only from the checked-in migrations, and they match the models exactly;
a migration that moves a table from one module to another keeps every row and every link."""

import os
import sqlite3
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from backend.core.db import tortoise_config
from backend.modules import model_modules

SCHEMA_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, character_maximum_length,
               numeric_precision, column_default
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, column_name""",
    "constraints": """
        SELECT rel.relname AS table_name, con.contype, pg_get_constraintdef(con.oid) AS definition
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = rel.relnamespace WHERE ns.nspname = 'public'
        ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT tablename, regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') AS definition
        FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2""",
}
# What migrations add by hand beyond what Tortoise can say in a model: official cars' rule
# that the database refuses two trips of one car or one driver whose buffered windows overlap
# (two exclusion constraints) and the window check they rest on (0023).
HAND_WRITTEN_CONSTRAINTS = [
    ("fleet_trip", b"c", "CHECK (((planned_start < planned_end) AND (planned_end <= blocked_until)))"),
    (
        "fleet_trip",
        b"x",
        "EXCLUDE USING gist (driver_id WITH =, tstzrange(planned_start, blocked_until, '[)'::text) WITH &&)"
        " WHERE (((driver_id IS NOT NULL) AND ((state)::text <> 'cancelled'::text)))",
    ),
    (
        "fleet_trip",
        b"x",
        "EXCLUDE USING gist (vehicle_id WITH =, tstzrange(planned_start, blocked_until, '[)'::text) WITH &&)"
        " WHERE (((vehicle_id IS NOT NULL) AND ((state)::text <> 'cancelled'::text)))",
    ),
]

# ... and the GiST indexes those two constraints stand on.
HAND_WRITTEN_INDEXES = [
    (
        "fleet_trip",
        f"CREATE INDEX ON public.fleet_trip USING gist ({who}_id, tstzrange(planned_start, blocked_until, '[)'::text))"
        f" WHERE (({who}_id IS NOT NULL) AND ((state)::text <> 'cancelled'::text))",
    )
    for who in ("driver", "vehicle")
]
# The asset search's trigram indexes (0028_assets_indexes): PostgreSQL expression indexes.
_TRIGRAMS = "USING gin (upper((({})::character varying)::text) gin_trgm_ops)"
HAND_WRITTEN_INDEXES += [
    ("assets_asset", "CREATE INDEX ON public.assets_asset " + _TRIGRAMS.format(c)) for c in ("name", "spec")
]


async def test_models_have_no_migration_pending(app, settings):
    apps_config = tortoise_config(settings, model_modules())["apps"]
    writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    assert writers == [], "models changed without a migration: run `tortoise makemigrations --name ...`"


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def _run(code: str, database_url: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "HOUQIN_VAR_DIR": os.environ.get("TMPDIR", "/tmp"),
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=600)


async def _schema(url: str) -> dict:
    conn = await asyncpg.connect(url)
    try:
        schema = {}
        for name, query in SCHEMA_QUERIES.items():
            rows = [tuple(r) for r in await conn.fetch(query)]
            schema[name] = [r for r in rows if not str(r[0]).startswith("tortoise_migrations")]
        return schema
    finally:
        await conn.close()


async def test_migrations_on_empty_postgres_give_exactly_the_models(requires_postgres, tmp_path):
    """One database built by the migrations, one by Tortoise straight from the models: the same."""
    admin = await asyncpg.connect(_database_url(requires_postgres, "postgres"))
    names = [f"houqin_schema_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("migrated", "models")]
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        migrated, from_models = (_database_url(requires_postgres, n) for n in names)
        _run("from backend.cli import main; main(['migrate'])", migrated)
        _run(
            "import asyncio\n"
            "from tortoise import Tortoise\n"
            "from backend.core.config import Settings\n"
            "from backend.core.db import tortoise_config\n"
            "from backend.modules import model_modules\n"
            "async def go():\n"
            "    await Tortoise.init(config=tortoise_config(Settings.from_env(), model_modules()))\n"
            "    await Tortoise.generate_schemas()\n"
            "    await Tortoise.close_connections()\n"
            "asyncio.run(go())\n",
            from_models,
        )
        got, want = await _schema(migrated), await _schema(from_models)
        assert got["columns"], "the migrations created no tables"
        hand_written = [c for c in got["constraints"] if c in HAND_WRITTEN_CONSTRAINTS]
        assert sorted(hand_written) == sorted(HAND_WRITTEN_CONSTRAINTS)
        got["constraints"] = [c for c in got["constraints"] if c not in HAND_WRITTEN_CONSTRAINTS]
        assert sorted(i for i in got["indexes"] if i in HAND_WRITTEN_INDEXES) == sorted(HAND_WRITTEN_INDEXES)
        got["indexes"] = [i for i in got["indexes"] if i not in HAND_WRITTEN_INDEXES]
        for part in SCHEMA_QUERIES:
            assert got[part] == want[part], f"{part} differ between migrations and models"
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# ---- moving tables between modules keeps the data ----------------------------------------------

BEFORE_THE_MOVES = "houqin.0014_generic_scoped_grant"
AT = "'2026-11-20 09:00:00+00:00'"
# A database as the repairs module left it at 0014: a building with a floor, two rooms and a
# second, inactive building (ids with gaps, as deletions and rollbacks leave them), reports in a
# room, in none and in the other room, their timelines, a photo, a part used on one (a link that
# forbids deleting the report), and notices in every state, to the reporter and a dispatcher.
FILLED_AT_0014 = [
    f"INSERT INTO accounts_unit (id, code, name, path, created_at) VALUES (1, 'U1', '市机关事务管理局', '/1/', {AT})",
    *(
        "INSERT INTO accounts_person (id, employee_no, name, unit_id, staff_category, wechat_openid, is_active,"
        f" created_at, updated_at) VALUES ({pid}, 'D000{pid}', '{name}', 1, 'established', 'o-{pid}', TRUE, {AT}, {AT})"
        for pid, name in ((1, "张伟"), (2, "陈静"))
    ),
    "INSERT INTO repairs_team (id, code, name, dispatcher_id) VALUES (1, 'WX1', '水电班', 2)",
    "INSERT INTO repairs_category (id, code, name, accept_hours, resolve_hours, auto_assign, sort_order, is_active,"
    " team_id) VALUES (1, 'water', '水电', 2, 16, FALSE, 0, TRUE, 1)",
    *(
        "INSERT INTO repairs_location (id, parent_id, kind, name, full_name, path, is_active) VALUES"
        f" ({lid}, {parent}, '{kind}', '{name}', '{full}', '{path}', {active})"
        for lid, parent, kind, name, full, path, active in (
            (3, "NULL", "building", "市民中心A座", "市民中心A座", "/3/", "TRUE"),
            (7, 3, "floor", "3楼", "市民中心A座 3楼", "/3/7/", "TRUE"),
            (8, 7, "room", "301", "市民中心A座 3楼 301", "/3/7/8/", "TRUE"),
            (12, 7, "room", "302", "市民中心A座 3楼 302", "/3/7/12/", "TRUE"),
            (20, "NULL", "building", "旧楼", "旧楼", "/20/", "FALSE"),
        )
    ),
    *(
        "INSERT INTO repairs_report (id, reporter_id, client_ref, category_id, location_id, spot, description, state,"
        " team_id, submitted_at, accept_due_at, resolve_due_at, rating_comment, reopen_count, version) VALUES"
        f" ({rid}, 1, 'ref-{rid}', 1, {location}, '{spot}', '漏水', '{state}', 1, {AT}, {AT}, {AT}, '', 0, 1)"
        for rid, location, spot, state in (
            (1, 8, "", "accepted"),
            (2, "NULL", "东门岗亭", "submitted"),
            (5, 12, "", "closed"),
        )
    ),
    *(
        "INSERT INTO repairs_event (id, report_id, at, action, from_state, to_state, actor_kind, actor_name, note)"
        f" VALUES ({eid}, {rid}, {AT}, '{action}', '', '', 'cadre', '张伟', '')"
        for eid, rid, action in (
            (1, 1, "submit"),
            (2, 1, "accept"),
            (3, 2, "submit"),
            (4, 5, "submit"),
            (6, 2, "overdue"),
        )
    ),
    "INSERT INTO repairs_photo (id, uploader_id, report_id, event_id, kind, image_key, thumbnail_key, content_type,"
    f" width, height, sha256, created_at) VALUES (1, 1, 1, 1, 'report', 'a', 'a-t', 'image/jpeg', 4, 3, 'x', {AT})",
    "INSERT INTO repairs_spare_part (id, code, name, unit, quantity, low_stock) VALUES (1, 'V1', '角阀', '只', 3, 0)",
    "INSERT INTO repairs_part_movement (id, part_id, delta, report_id, actor_name, note, at)"
    f" VALUES (1, 1, -1, 1, '刘洋', '', {AT})",
    *(
        "INSERT INTO repairs_notice (id, report_id, person_id, event_id, state, attempts, last_error,"
        " next_attempt_at, created_at, sent_at)"
        f" VALUES ({nid}, {rid}, {pid}, {eid}, '{state}', {attempts}, '{error}', {AT}, {AT}, {sent})"
        for nid, rid, pid, eid, state, attempts, error, sent in (
            (1, 1, 1, 2, "sent", 1, "", AT),
            (2, 2, 1, 3, "refused", 1, "43101: user refuse to accept the msg", "NULL"),
            (4, 2, 2, 6, "pending", 2, "WeChat busy", "NULL"),
            (5, 5, 1, 4, "failed", 5, "WeChat busy", "NULL"),
        )
    ),
]
FILLED_TABLES = (
    "accounts_unit",
    "accounts_person",
    "repairs_team",
    "repairs_category",
    "repairs_location",
    "repairs_report",
    "repairs_event",
    "repairs_photo",
    "repairs_spare_part",
    "repairs_part_movement",
    "repairs_notice",
)
PLACE_COLUMNS = "id, parent_id, kind, name, full_name, path, is_active"
NOTICE_COLUMNS = "id, person_id, state, attempts, last_error, next_attempt_at, created_at, sent_at"
# Rows whose count would drop if a table were rebuilt and its dependents deleted by cascade.
KEPT_ROWS = ("repairs_report", "repairs_event", "repairs_photo", "repairs_part_movement")


class _Database:
    """Plain SQL on the database under test, one connection per call (the migrations run in
    another process)."""

    def __init__(self, url: str):
        self.url = url

    async def run(self, *statements: str) -> None:
        if self.url.startswith("sqlite://"):
            with sqlite3.connect(self.url.removeprefix("sqlite://")) as conn:
                for statement in statements:
                    conn.execute(statement)
            return
        conn = await asyncpg.connect(self.url)
        try:
            async with conn.transaction():
                for statement in statements:
                    await conn.execute(statement)
        finally:
            await conn.close()

    async def rows(self, query: str) -> list[tuple]:
        if self.url.startswith("sqlite://"):
            with sqlite3.connect(self.url.removeprefix("sqlite://")) as conn:
                return [tuple(r) for r in conn.execute(query)]
        conn = await asyncpg.connect(self.url)
        try:
            return [tuple(r) for r in await conn.fetch(query)]
        finally:
            await conn.close()

    async def snapshot(self, places: str, notices: str) -> dict:
        return {
            "places": await self.rows(f"SELECT {PLACE_COLUMNS} FROM {places} ORDER BY id"),
            "links": await self.rows("SELECT id, location_id FROM repairs_report ORDER BY id"),
            "kept": [(await self.rows(f"SELECT COUNT(*) FROM {table}"))[0][0] for table in KEPT_ROWS],
            "notices": await self.rows(f"SELECT {NOTICE_COLUMNS} FROM {notices} ORDER BY id"),
        }

    async def next_id(self, table: str, columns: str, values: str) -> int:
        """The id a new row gets (the row is removed again)."""
        await self.run(f"INSERT INTO {table} ({columns}) VALUES ({values})")
        [(new_id,)] = await self.rows(f"SELECT MAX(id) FROM {table}")
        await self.run(f"DELETE FROM {table} WHERE id = {new_id}")
        return new_id

    async def fill(self, statements: list[str], tables: tuple[str, ...]) -> None:
        """Rows with the ids given; on PostgreSQL the id sequences then stand where creating the
        rows one by one would have left them."""
        if not self.url.startswith("sqlite://"):
            statements = [
                *statements,
                *(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))" for t in tables),
            ]
        await self.run(*statements)


def _migrate(database_url: str, target: str | None = None) -> None:
    _run(
        "import asyncio\n"
        "from backend.core.config import Settings\n"
        "from backend.core.db import migrate\n"
        "from backend.modules import model_modules\n"
        f"asyncio.run(migrate(Settings.from_env(), model_modules(), {target!r}))\n",
        database_url,
    )


async def _moves_keep_every_row_and_link(database_url: str) -> None:
    db = _Database(database_url)
    _migrate(database_url, BEFORE_THE_MOVES)
    await db.fill(FILLED_AT_0014, FILLED_TABLES)
    before = await db.snapshot("repairs_location", "repairs_notice")
    report_of_step = dict(await db.rows("SELECT id, report_id FROM repairs_event"))
    step_of_notice = dict(await db.rows("SELECT id, event_id FROM repairs_notice"))

    # when the places and notices modules take their tables over
    _migrate(database_url)

    # then every place keeps its id and its place in the tree, every report its place, nothing
    # that hangs off a report is lost, and every notice is the same notice of the same step
    after = await db.snapshot("places_place", "notices_notice")
    assert after["places"] == before["places"] and len(after["places"]) == 5
    assert after["links"] == before["links"] == [(1, 8), (2, None), (5, 12)]
    assert after["kept"] == before["kept"] == [3, 5, 1, 1]
    assert after["notices"] == before["notices"] and len(after["notices"]) == 4
    moved = await db.rows("SELECT id, template, subject_id FROM notices_notice ORDER BY id")
    assert {template for _, template, _ in moved} == {"repairs.progress"}
    assert {notice: subject for notice, _, subject in moved} == step_of_notice
    assert {report_of_step[subject] for _, _, subject in moved} == {1, 2, 5}
    # and new rows are numbered after the old ones (PostgreSQL's id sequences came along)
    place = ("kind, name, full_name, path, is_active", "'building', '新楼', '新楼', '/new/', TRUE")
    assert await db.next_id("places_place", *place) > 20
    notice = (
        "template, person_id, subject_id, state, attempts, last_error, next_attempt_at, created_at",
        f"'repairs.progress', 1, 2, 'pending', 0, '', {AT}, {AT}",
    )
    assert await db.next_id("notices_notice", *notice) > 5

    # when the moves are undone, the repairs module has its tables back as they were
    _migrate(database_url, BEFORE_THE_MOVES)
    assert await db.snapshot("repairs_location", "repairs_notice") == before
    assert await db.next_id("repairs_location", *place) > 20
    notice = (
        "report_id, person_id, event_id, state, attempts, last_error, next_attempt_at, created_at",
        f"1, 1, 2, 'pending', 0, '', {AT}, {AT}",
    )
    assert await db.next_id("repairs_notice", *notice) > 5


async def test_moving_tables_to_places_and_notices_keeps_every_row_and_link_on_sqlite(tmp_path):
    await _moves_keep_every_row_and_link(f"sqlite://{tmp_path / 'houqin.sqlite3'}")


async def test_moving_tables_to_places_and_notices_keeps_every_row_and_link_on_postgres(requires_postgres):
    admin = await asyncpg.connect(_database_url(requires_postgres, "postgres"))
    name = f"houqin_moves_{uuid.uuid4().hex[:8]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await _moves_keep_every_row_and_link(_database_url(requires_postgres, name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# ---- a grant over a canteen becomes a grant over an object of the canteen module (0014) --------

BEFORE_GENERIC_GRANTS = "houqin.0013_add_canteen_scoped_grant"
GRANTS_AT_0013 = [
    f"INSERT INTO accounts_unit (id, code, name, path, created_at) VALUES (1, 'U1', '市机关事务管理局', '/U1/', {AT})",
    "INSERT INTO accounts_admin_user (id, username, display_name, password_hash, is_active, session_epoch,"
    f" created_at) VALUES (4, 'manager', '经理', 'x', TRUE, 0, {AT})",
    "INSERT INTO accounts_role (id, code, name, permissions, created_at)"
    f""" VALUES (2, 'canteen_manager', '食堂经理', '["canteen.view_payment"]', {AT})""",
    *(
        "INSERT INTO canteen_canteen (id, code, name, location, max_payment_fen, offline_max_payment_fen,"
        f" offline_max_count_per_card, created_at) VALUES ({cid}, '{code}', '{code}', '', 5000, 3000, 3, {AT})"
        for cid, code in ((3, "ST1"), (9, "ST2"))
    ),
    *(
        "INSERT INTO accounts_role_grant (id, admin_id, role_id, unit_id, canteen_id)"
        f" VALUES ({gid}, 4, 2, {unit}, {cid})"
        for gid, unit, cid in ((1, "NULL", "NULL"), (2, 1, "NULL"), (5, "NULL", 9))
    ),
]


async def _grants_keep_their_scope(database_url: str, *, undo: bool) -> None:
    db = _Database(database_url)
    _migrate(database_url, BEFORE_GENERIC_GRANTS)
    await db.fill(GRANTS_AT_0013, ("accounts_unit", "accounts_admin_user", "accounts_role", "canteen_canteen"))
    # when grants name their object by module and id
    _migrate(database_url)
    # then the platform-wide grant stays platform-wide, the unit grant over its unit, and the
    # grant over canteen ST2 is over canteen 9
    grants = await db.rows("SELECT id, unit_id, object_module, object_id FROM accounts_role_grant ORDER BY id")
    assert grants == [(1, None, None, None), (2, 1, None, None), (5, None, "canteen", 9)]
    if not undo:
        return
    # and undone, the grant has its canteen back
    _migrate(database_url, BEFORE_GENERIC_GRANTS)
    assert await db.rows("SELECT id, unit_id, canteen_id FROM accounts_role_grant ORDER BY id") == [
        (1, None, None),
        (2, 1, None),
        (5, None, 9),
    ]


async def test_a_grant_over_a_canteen_keeps_it_when_grants_name_objects_on_sqlite(tmp_path):
    """Forward only: Tortoise's SQLite editor leaves a dropped foreign-key column in place, so
    undoing 0014 there fails on re-adding it (production runs PostgreSQL, undone below)."""
    await _grants_keep_their_scope(f"sqlite://{tmp_path / 'houqin.sqlite3'}", undo=False)


async def test_a_grant_over_a_canteen_keeps_it_when_grants_name_objects_on_postgres(requires_postgres):
    admin = await asyncpg.connect(_database_url(requires_postgres, "postgres"))
    name = f"houqin_grants_{uuid.uuid4().hex[:8]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await _grants_keep_their_scope(_database_url(requires_postgres, name), undo=True)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
