import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from backend.canteen.models import BookingStatus


class Migration(migrations.Migration):
    dependencies = [("houqin", "0005_add_subsidy_rules_and_grants")]

    initial = False

    operations = [
        ops.CreateModel(
            name="BusinessTrip",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="business_trips",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("starts_on", fields.DateField()),
                ("ends_on", fields.DateField()),
                ("reason", fields.CharField(default="", max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "canteen_business_trip",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A business trip reported by a cadre (出差报停): every booking inside it is cancelled.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DailyMenu",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "canteen",
                    fields.ForeignKeyField(
                        "houqin.Canteen",
                        source_field="canteen_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="menus",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("menu_date", fields.DateField()),
                ("period_code", fields.CharField(max_length=16)),
                (
                    "dish_ids",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
            ],
            options={
                "table": "canteen_daily_menu",
                "app": "houqin",
                "unique_together": (("canteen", "menu_date", "period_code"),),
                "pk_attr": "id",
                "table_description": "The dishes a canteen serves in one meal period of one day.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DishRating",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="dish_ratings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "dish",
                    fields.ForeignKeyField(
                        "houqin.Dish",
                        source_field="dish_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="ratings",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "payment",
                    fields.ForeignKeyField(
                        "houqin.CanteenPayment",
                        source_field="payment_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="ratings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("score", fields.SmallIntField()),
                ("comment", fields.CharField(default="", max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "canteen_dish_rating",
                "app": "houqin",
                "unique_together": (("payment", "dish"),),
                "pk_attr": "id",
                "table_description": "A diner's rating of a dish they were served: only after paying in that meal.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MealBooking",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="meal_bookings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "canteen",
                    fields.ForeignKeyField(
                        "houqin.Canteen",
                        source_field="canteen_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="bookings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("meal_date", fields.DateField()),
                ("period_code", fields.CharField(max_length=16)),
                (
                    "status",
                    fields.CharEnumField(
                        description="BOOKED: booked\nCANCELLED: cancelled", enum_type=BookingStatus, max_length=16
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "canteen_meal_booking",
                "app": "houqin",
                "unique_together": (("person", "meal_date", "period_code"),),
                "indexes": [Index(fields=["canteen_id", "meal_date", "period_code"])],
                "pk_attr": "id",
                "table_description": "A cadre's booking of a meal in advance (报餐): one per person, day and meal period.",
            },
            bases=["Model"],
        ),
    ]
