"""The bare baselines: each framework alone, answering `GET /books`.

Each returns the same JSON as the project's first page of `GET {p}/books`
(fetched from the project once per run, written to a file named by
BENCH_PAYLOAD_FILE), held as a Python dict that the framework serializes
on every request, as an ordinary view would. Each module has a factory
that uvicorn calls (`uvicorn benchmarks.bare.flask_app:create_app --factory`),
so every baseline runs in its own process with the project's uvicorn options.

    raw_asgi     a plain ASGI callable: the ceiling for any Python ASGI app
    fastapi_app  FastAPI, one `async def` route returning the dict
    flask_app    Flask behind a2wsgi, as the project mounts it
    drf_app      a DRF APIView behind Django's WSGI handler and a2wsgi, as the
                 project mounts Django; its own minimal settings (drf_settings)

A project prefix is compared with the baseline of its own framework: what
the ratio shows is the price of the project's own work (auth, limits,
cache, envelopes), not the framework's.
"""
