# The three launch plans. Staff edit them (or add custom ones) in the admin afterwards.
from decimal import Decimal

from django.db import migrations

PLANS = [
    {
        "slug": "free", "name": "Free", "description": "Try it with two channels.",
        "price_usd": Decimal("0"), "price_inr": Decimal("0"),
        "channel_limit": 2, "monthly_query_limit": 20, "max_answer_tokens": 500,
        "max_videos_per_channel": 50, "is_default": True, "sort_order": 0,
    },
    {
        "slug": "personal", "name": "Personal", "description": "For fans and learners.",
        "price_usd": Decimal("3.60"), "price_inr": Decimal("299"),
        "channel_limit": None, "monthly_query_limit": 500, "max_answer_tokens": 900,
        "max_videos_per_channel": 250, "is_default": False, "sort_order": 1,
    },
    {
        "slug": "creator", "name": "Creator", "description": "For creators and their audiences.",
        "price_usd": Decimal("18.00"), "price_inr": Decimal("1499"),
        "channel_limit": None, "monthly_query_limit": 10000, "max_answer_tokens": 1500,
        "max_videos_per_channel": 1000, "is_default": False, "sort_order": 2,
    },
]  # fmt: skip


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for fields in PLANS:
        Plan.objects.update_or_create(slug=fields["slug"], defaults=fields)


def unseed(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(slug__in=[p["slug"] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
