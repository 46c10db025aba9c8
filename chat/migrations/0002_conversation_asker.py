"""Conversations belong to an asker: existing ones to their user or their anonymous session."""

from django.db import migrations, models
from django.db.models import Q
from django.db.models.functions import Cast


def fill_askers(apps, schema_editor):
    Conversation = apps.get_model("chat", "Conversation")
    Conversation.objects.filter(user__isnull=False).update(
        asker_kind="user", asker_ref=Cast("user_id", models.CharField())
    )
    Conversation.objects.filter(user__isnull=True).update(asker_kind="web_session", asker_ref=models.F("session_key"))


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="asker_kind",
            field=models.CharField(
                choices=[
                    ("user", "Signed-in user"),
                    ("web_session", "Anonymous web visitor"),
                    ("discord_member", "Discord user in a server"),
                    ("telegram_chat", "Telegram chat"),
                    ("whop_member", "Whop community member"),
                    ("widget_visitor", "Website widget visitor"),
                    ("api_key", "Developer API key"),
                ],
                default="",
                max_length=24,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="conversation",
            name="asker_ref",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(fill_askers, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="conversation", name="chat_conversation_has_an_owner"),
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.CheckConstraint(condition=~Q(asker_ref=""), name="chat_conversation_has_an_asker"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["asker_kind", "asker_ref", "channel"], name="chat_conver_asker_k_bdcb5b_idx"),
        ),
    ]
