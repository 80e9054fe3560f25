"""How many PostgreSQL connections the server holds, sampled during a run.

The project caps each process at DB_POOL_MAX_SIZE pooled connections; a leak
(Django under ASGIHandler with persistent connections opens one per request)
shows up here as a peak far above the pool's size.
"""

from __future__ import annotations

import threading
from urllib.parse import urlparse

_COUNT_SQL = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
)


class ConnectionSampler(threading.Thread):
    """Counts connections to one database every `interval_s` until `stop()`."""

    interval_s = 0.2

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.database = urlparse(database_url).path.lstrip("/")
        self.peak = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stopped.is_set():
                row = conn.execute(_COUNT_SQL, (self.database,)).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                self._stopped.wait(self.interval_s)

    def stop(self) -> int:
        """Stop sampling and return the most connections seen."""
        self._stopped.set()
        self.join(timeout=5)
        return self.peak


class NoSampler:
    """Stands in for ConnectionSampler on the embedded SQLite database."""

    peak = None

    def start(self) -> None:
        pass

    def stop(self) -> None:
        return None
