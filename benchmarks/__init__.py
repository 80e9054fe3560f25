"""Load benchmarks: `manage.py bench` and the bare-framework baselines it compares against.

An app of its own (listed in INSTALLED_APPS only so Django finds the
command), with no models and nothing on the request path. Each module has
one job:

    wrk.py        run wrk and read its output (parse_wrk_output is pure)
    servers.py    start and stop a uvicorn process on a free port
    pg.py         sample PostgreSQL's connection count during a run
    client.py     the few plain HTTP calls the run makes itself (login, fetch)
    scenarios.py  what is measured, at which path, with which wrk options
    hashing.py    Argon2 hashes per second, in this process
    report.py     result rows, ratios to the bare frameworks, table and JSON
    svg.py        the bar chart for docs/bench/bench.svg
    runner.py     the order of a run: data, servers, warm-up, scenarios
    bare/         the bare apps: raw ASGI, FastAPI, Flask, DRF APIView
"""
