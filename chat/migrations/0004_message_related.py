"""A refusal may offer related moments under their own heading: stored beside the citations."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_message_charged_to")]

    operations = [
        migrations.AddField(model_name="message", name="related", field=models.JSONField(blank=True, default=list)),
    ]
