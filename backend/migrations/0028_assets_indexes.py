from tortoise import migrations
from tortoise.migrations import operations as ops

from backend.migrations._dialect import RunSQLOn


class Migration(migrations.Migration):
    """Indexes for the asset list's filters and the card's history, and on PostgreSQL trigram
    indexes for the search by name and spec, so that the list stays fast over 100,000 cards.

    Written by hand: the filters' indexes are not declared on the models (a foreign key column
    gets none from Tortoise), and a trigram index is an expression index over the search's own
    expression (`UPPER(CAST(name AS VARCHAR)) LIKE ...`, what `icontains` becomes), which only
    PostgreSQL has. pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's
    owner may create it."""

    dependencies = [("houqin", "0027_add_assets")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE INDEX assets_asset_category ON assets_asset (category_id)",
                "CREATE INDEX assets_asset_place ON assets_asset (place_id)",
                "CREATE INDEX assets_asset_custodian ON assets_asset (custodian_id)",
                "CREATE INDEX assets_asset_purchase_date ON assets_asset (purchase_date)",
                "CREATE INDEX assets_move_asset ON assets_move (asset_id, at)",
            ],
            reverse_sql=[
                "DROP INDEX assets_move_asset",
                "DROP INDEX assets_asset_purchase_date",
                "DROP INDEX assets_asset_custodian",
                "DROP INDEX assets_asset_place",
                "DROP INDEX assets_asset_category",
            ],
        ),
        RunSQLOn(
            "postgres",
            [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX assets_asset_name_trgm ON assets_asset"
                " USING gin (UPPER(CAST(name AS VARCHAR)) gin_trgm_ops)",
                "CREATE INDEX assets_asset_spec_trgm ON assets_asset"
                " USING gin (UPPER(CAST(spec AS VARCHAR)) gin_trgm_ops)",
            ],
            # The extension stays: other tables may come to use it.
            reverse_sql=["DROP INDEX assets_asset_spec_trgm", "DROP INDEX assets_asset_name_trgm"],
        ),
    ]
