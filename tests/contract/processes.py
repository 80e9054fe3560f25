"""Moved to tests/support/processes.py; these names stay importable from here until every
test imports them from there."""

from tests.support.network import free_port
from tests.support.processes import UvicornServer, manage, process_env, this_run_database_url

__all__ = ["free_port", "UvicornServer", "manage", "process_env", "this_run_database_url"]
