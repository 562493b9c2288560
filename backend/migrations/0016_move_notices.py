from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from backend.migrations._dialect import RunSQLOn
from backend.notices.models import NoticeState

# Every column of a notice that both tables have.
KEPT = "id, person_id, state, attempts, last_error, next_attempt_at, created_at, sent_at"


def _next_id_after_rows(table: str) -> str:
    """PostgreSQL: the id sequence of `table` to go on after the rows copied in with their ids."""
    return (
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
    )


class Migration(migrations.Migration):
    """Repairs' outbox of WeChat notices (repairs_notice) becomes the notices module's
    (notices_notice), for any module's template. Every notice is copied with its id, cadre,
    state, attempts, last error and times; what it was about becomes its template
    (repairs.progress) and subject (the timeline step, whose report it tells of).

    The generated steps (CreateModel Notice, DeleteModel RepairNotice) with the copying added by
    hand between them. The ids are kept, so on PostgreSQL the id sequence is moved past them."""

    dependencies = [("houqin", "0015_move_locations_to_places")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Notice",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("template", fields.CharField(max_length=64)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notices",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("subject_id", fields.IntField()),
                (
                    "state",
                    fields.CharEnumField(
                        default=NoticeState.PENDING,
                        description="PENDING: pending\nSENT: sent\nREFUSED: refused\nFAILED: failed",
                        enum_type=NoticeState,
                        max_length=16,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                ("last_error", fields.CharField(default="", max_length=200)),
                ("next_attempt_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "notices_notice",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A subscribe message to a cadre, waiting to be sent or sent.",
            },
            bases=["Model"],
        ),
        # Added by hand. When undone (bottom to top), this puts repairs_notice's sequence past
        # the notices copied back by the next step.
        RunSQLOn("postgres", ops.RunSQL.noop, reverse_sql=_next_id_after_rows("repairs_notice")),
        ops.RunSQL(
            f"INSERT INTO notices_notice ({KEPT}, template, subject_id) "
            f"SELECT {KEPT}, 'repairs.progress', COALESCE(event_id, 0) FROM repairs_notice",
            # A notice of a step that no longer exists (none are: steps are never deleted) could
            # not name its report, and is not copied back.
            reverse_sql=f"INSERT INTO repairs_notice ({KEPT}, report_id, event_id) "
            f"SELECT {', '.join(f'n.{c}' for c in KEPT.split(', '))}, e.report_id, n.subject_id "
            "FROM notices_notice n JOIN repairs_event e ON e.id = n.subject_id "
            "WHERE n.template = 'repairs.progress'",
        ),
        RunSQLOn("postgres", _next_id_after_rows("notices_notice"), reverse_sql=ops.RunSQL.noop),
        ops.DeleteModel(name="RepairNotice"),
    ]
