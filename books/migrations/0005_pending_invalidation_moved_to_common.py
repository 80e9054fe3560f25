"""The outbox model now belongs to common (common/migrations/0001); state only.

The table stays (common's model uses it under the same name): nothing is
dropped.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('books', '0004_pending_invalidation'),
        ('common', '0001_pending_invalidation'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PendingInvalidation')],
            database_operations=[],
        ),
    ]
