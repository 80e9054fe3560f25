from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """`manage.py bench`: the project against each bare framework, in one run."""

    name = "benchmarks"
