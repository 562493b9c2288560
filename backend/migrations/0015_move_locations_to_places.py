from tortoise import migrations
from tortoise.migrations import operations as ops

from backend.migrations._dialect import RunSQLOn


class Migration(migrations.Migration):
    """The location tree leaves the repairs module for the places module: the table
    repairs_location becomes places_place by a rename, so every row keeps its id and every
    report keeps its link without a row being copied.

    Written by hand in place of what `makemigrations` generated (CreateModel Place, then
    DeleteModel Location), which would have dropped the table that reports point to. A rename
    also leaves repairs_report alone: SQLite (3.26 and later) and PostgreSQL both carry a foreign
    key over to the renamed table, whereas changing that column would make Tortoise rebuild
    repairs_report on SQLite, and its rebuild drops the old table with foreign keys enforced,
    which deletes every report's timeline, photos and notices by cascade."""

    dependencies = [("houqin", "0014_generic_scoped_grant")]

    initial = False

    operations = [
        ops.RenameModel(old_name="Location", new_name="Place"),
        ops.AlterModelOptions(
            name="Place",
            options={
                "table": "places_place",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A place in the tree building → floor → room.",
            },
        ),
        ops.RunSQL(
            [
                "ALTER TABLE repairs_location RENAME TO places_place",
                # The index on path under the name Tortoise gives it on places_place.
                "DROP INDEX idx_repairs_loc_path_8c3264",
                "CREATE INDEX idx_places_plac_path_b4c248 ON places_place (path)",
            ],
            reverse_sql=[
                "DROP INDEX idx_places_plac_path_b4c248",
                "CREATE INDEX idx_repairs_loc_path_8c3264 ON places_place (path)",
                "ALTER TABLE places_place RENAME TO repairs_location",
            ],
        ),
        # PostgreSQL keeps the old names on what came with the table: its id sequence (named in
        # the column's default) and its constraints.
        RunSQLOn(
            "postgres",
            [
                "ALTER SEQUENCE repairs_location_id_seq RENAME TO places_place_id_seq",
                "ALTER TABLE places_place RENAME CONSTRAINT repairs_location_pkey TO places_place_pkey",
                "ALTER TABLE places_place RENAME CONSTRAINT repairs_location_parent_id_fkey"
                " TO places_place_parent_id_fkey",
            ],
            reverse_sql=[
                "ALTER SEQUENCE places_place_id_seq RENAME TO repairs_location_id_seq",
                "ALTER TABLE places_place RENAME CONSTRAINT places_place_pkey TO repairs_location_pkey",
                "ALTER TABLE places_place RENAME CONSTRAINT places_place_parent_id_fkey"
                " TO repairs_location_parent_id_fkey",
            ],
        ),
    ]
