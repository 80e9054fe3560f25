"""The outbox of promised cache writes (books.models.PendingInvalidation, common/retry.py).

A new, empty table: nothing to fill, nothing to lock on existing rows.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('books', '0003_search_statistics'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingInvalidation',
            fields=[
                ('id', models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=32)),
                ('payload', models.CharField(max_length=200)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['id'],
            },
        ),
    ]
