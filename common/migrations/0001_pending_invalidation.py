"""The outbox model moves from books to common; its table stays as it is.

State only: the table `books_pendinginvalidation` (books' migration 0004)
keeps its name, columns and rows, so a write promised just before the
deploy is still found and landed after it. books' migration 0005 drops the
model from the books app's state, after this one.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('books', '0004_pending_invalidation'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PendingInvalidation',
                    fields=[
                        ('id', models.BigAutoField(
                            auto_created=True, primary_key=True, serialize=False,
                            verbose_name='ID')),
                        ('kind', models.CharField(max_length=32)),
                        ('payload', models.CharField(max_length=200)),
                        ('created_at', models.DateTimeField(
                            default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'books_pendinginvalidation',
                        'ordering': ['id'],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
