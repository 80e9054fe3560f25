"""The `config` app: its management commands, and the SQL observer on every connection."""

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created


class ProjectConfig(AppConfig):
    name = "config"

    def ready(self) -> None:
        from common import sql_log

        # Every connection, from the first: a capture (tests) or LOG_SQL may listen.
        connection_created.connect(sql_log.watch, dispatch_uid="sql_log.watch")
        if settings.LOG_SQL:
            sql_log.start_logging()
