from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from backend.migrations._dialect import RunSQLOn


class Migration(migrations.Migration):
    """Indexes for the asset list's filters and the card's history, and on PostgreSQL trigram
    indexes for the search by name and spec, so that the list stays fast over 100,000 cards. A
    trigram index is an expression index over the search's own expression
    (`UPPER(CAST(name AS VARCHAR)) LIKE ...`, what `icontains` becomes), which only PostgreSQL
    has: added by hand below the generated operations. pg_trgm is a trusted extension
    (PostgreSQL 13 and later): the database's owner may create it."""

    dependencies = [("houqin", "0027_add_assets")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Asset",
            index=Index(fields=["category_id"]),
        ),
        ops.AddIndex(
            model_name="Asset",
            index=Index(fields=["place_id"]),
        ),
        ops.AddIndex(
            model_name="Asset",
            index=Index(fields=["custodian_id"]),
        ),
        ops.AddIndex(
            model_name="Asset",
            index=Index(fields=["purchase_date"]),
        ),
        ops.AddIndex(
            model_name="AssetMove",
            index=Index(fields=["asset_id", "at"]),
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
