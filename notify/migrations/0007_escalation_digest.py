import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0010_deadline_kind_escalation'),
        ('notify', '0006_delivery_priority'),
        ('response', '0002_text_limits'),
    ]

    operations = [
        migrations.AlterField(
            model_name='escalation',
            name='message',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='escalations', to='notify.message', verbose_name='message'),
        ),
        migrations.AddIndex(
            model_name='escalation',
            index=models.Index(condition=models.Q(('message__isnull', True), ('skipped', ''), ('step', 2)), fields=['created_at'], name='escalation_pending'),
        ),
    ]
