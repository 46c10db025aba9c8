"""Referral commission rates: 40 % of Personal, 45 % of Creator (staff may change them)."""

from decimal import Decimal

from django.db import migrations

RATES = {"personal": Decimal("0.400"), "creator": Decimal("0.450")}


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for slug, rate in RATES.items():
        Plan.objects.filter(slug=slug).update(affiliate_commission_rate=rate)


def unseed(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(slug__in=RATES).update(affiliate_commission_rate=0)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_subscriptions_payments")]
    operations = [migrations.RunPython(seed, unseed)]
