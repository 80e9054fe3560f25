"""DRF's browsable API, taught the contract's response shapes.

    GET /api/drf/books        Accept: text/html...   -> an HTML page: the JSON,
                                                        filters, page links, forms

DRF's BrowsableAPIRenderer expects DRF's own paginators (`results`, `next`,
`previous`) and generic views (`filter_backends`, `get_queryset`). The API
answers `{"data": [...], "meta": {...}, "links": {...}}` from plain ViewSets,
so this renderer reads the page controls from that envelope and builds the
filter form from the view's `filterset_class` (django-filter) directly. A
view opts in to the filter form by naming its FilterSet; the OpenAPI
document is unchanged, because drf-spectacular only reads `filter_backends`.

Forms follow DRF's own rule (`show_form_for_method`): a form for a method
only if the view's permission classes allow it. DRF finds the object to
ask about from `data.serializer`, which an envelope does not carry, so this
renderer asks the view's `get_object()` instead: on someone else's book an
ordinary user sees no PUT form and no DELETE button.

On a list page the filter form and the page links stay after a 422 (a bad
filter), so the visitor can fix the filter or go back to the first page.

Only browsers see this renderer (drf_support.negotiation): a JSON client gets
JSONRenderer's bytes, untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.template import loader
from django.utils.cache import patch_vary_headers
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageLink
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.utils.urls import replace_query_param

from common.errors import ApplicationError

# The templates DRF's PageNumberPagination / CursorPagination and
# django-filter's DjangoFilterBackend render with.
NUMBERS_TEMPLATE = "rest_framework/pagination/numbers.html"
PREVIOUS_NEXT_TEMPLATE = "rest_framework/pagination/previous_and_next.html"
FILTERSET_TEMPLATE = "django_filters/rest_framework/form.html"


@dataclass(frozen=True)
class EnvelopePageControls:
    """What the browsable API's template asks of a paginator, read from a page's body.

    Numbered links when `meta` has `page` and `pages`; otherwise (a keyset
    page, which has no page numbers) just previous / next.
    """

    meta: dict[str, Any]
    links: dict[str, Any]
    # The template shows the controls only when this is true.
    display_page_controls = True

    @classmethod
    def first_page_only(cls, url: str) -> EnvelopePageControls:
        """After an error on a list page: one link, to the first page without any filter."""
        return cls(meta={"first_page_only": True}, links={"self": url})

    @classmethod
    def from_body(cls, body: Any) -> EnvelopePageControls | None:
        """The controls of a list response; None for anything else (one book, an error)."""
        if not isinstance(body, dict):
            return None
        meta, links, items = body.get("meta"), body.get("links"), body.get("data")
        if isinstance(meta, dict) and isinstance(links, dict) and isinstance(items, list):
            return cls(meta=meta, links=links)
        return None

    def to_html(self) -> str:
        if self.meta.get("first_page_only"):
            link = PageLink(url=self.links["self"], number=1, is_active=False, is_break=False)
            return loader.render_to_string(NUMBERS_TEMPLATE, {"page_links": [link]})
        page, pages, url = self.meta.get("page"), self.meta.get("pages"), self.links.get("self")
        context: dict[str, Any] = {
            "previous_url": self.links.get("prev"),
            "next_url": self.links.get("next"),
        }
        if not (isinstance(page, int) and isinstance(pages, int) and url):
            return loader.render_to_string(PREVIOUS_NEXT_TEMPLATE, context)
        if pages < 2:
            return ""  # one page or none: nothing to navigate

        def page_url(number: int) -> str:
            return replace_query_param(url, "page", number)

        context["page_links"] = page_links_around(min(page, pages), pages, page_url)
        return loader.render_to_string(NUMBERS_TEMPLATE, context)


def page_links_around(
    current: int, last: int, page_url: Callable[[int], str]
) -> list[PageLink]:
    """The numbered links DRF's pagination template draws: 1 2 … 7 [8] 9 … 19 20."""
    shown = {1, 2, current - 1, current, current + 1, last - 1, last} & set(range(1, last + 1))
    links: list[PageLink] = []
    previous = 0
    for number in sorted(shown):
        if number > previous + 1:
            links.append(PageLink(url=None, number=None, is_active=False, is_break=True))
        links.append(PageLink(url=page_url(number), number=number, is_active=number == current,
                              is_break=False))
        previous = number
    return links


class BrowsableApiRenderer(BrowsableAPIRenderer):
    """DRF's browsable API, with page controls and filters read from the envelope."""

    def get_context(
        self, data: Any, accepted_media_type: str | None, renderer_context: Mapping[str, Any]
    ) -> dict[str, Any]:
        context = super().get_context(data, accepted_media_type, renderer_context)
        controls = EnvelopePageControls.from_body(data)
        if controls is None and _is_list_page(renderer_context["view"]):
            request = renderer_context["request"]
            first_page = request.build_absolute_uri(request.path)
            controls = EnvelopePageControls.first_page_only(first_page)
        context["paginator"] = controls
        return context

    def show_form_for_method(self, view: Any, method: str, request: Any, obj: Any) -> bool:
        """DRF's rule, with the object found by the view (`get_object`) when the URL names one."""
        if obj is None and _names_an_object(view):
            # View-level permissions first (DRF's order): an anonymous visitor
            # is refused here, before the view is asked for anything.
            if not super().show_form_for_method(view, method, request, None):
                return False
            try:
                obj = view.get_object()
            except (APIException, ApplicationError):
                return False  # a book that is not there (404) gets no forms
        return bool(super().show_form_for_method(view, method, request, obj))

    def get_raw_data_form(self, data: Any, view: Any, method: str, request: Any) -> Any:
        """DRF's "Raw data" tab; for POST, the view's `raw_data_example`, valid as it is."""
        form = super().get_raw_data_form(data, view, method, request)
        example = getattr(view, "raw_data_example", None)
        if form is not None and method == "POST" and example is not None:
            form.initial = {**form.initial, "_content": json.dumps(example, indent=4)}
        return form

    def get_filter_form(self, data: Any, view: Any, request: Any) -> str | None:
        """django-filter's form for the view's `filterset_class`, on list pages only.

        Shown on an error page too (a 422 for a bad filter), with the values
        the visitor sent, so the mistake can be fixed in place.
        """
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None or not _is_list_page(view):
            return None
        # The form only renders the query parameters; `.none()` runs no query.
        queryset = filterset_class._meta.model._default_manager.none()
        filterset = filterset_class(data=request.query_params, queryset=queryset, request=request)
        element = loader.render_to_string(FILTERSET_TEMPLATE, {"filter": filterset}, request)
        return loader.render_to_string(self.filter_template, {"elements": [element]})

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            # The same URL answers JSON to other clients, and this page depends
            # on the browser's session: shared caches must keep them apart.
            patch_vary_headers(response, ("Accept", "Cookie"))
        return super().render(data, accepted_media_type, renderer_context)


def _names_an_object(view: Any) -> bool:
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    return bool(lookup and lookup in getattr(view, "kwargs", {}) and hasattr(view, "get_object"))


def _is_list_page(view: Any) -> bool:
    """A view set's `list` action, or a plain view with a filter form and no object."""
    action: str | None = getattr(view, "action", None)
    if action is not None:
        return action == "list"
    return getattr(view, "filterset_class", None) is not None and not _names_an_object(view)
