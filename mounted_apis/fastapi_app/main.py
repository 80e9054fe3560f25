"""Placeholder: replaced by the FastAPI implementation (issue 4)."""

from fastapi import FastAPI


def create_app() -> FastAPI:
    return FastAPI(title="Books API: FastAPI")
