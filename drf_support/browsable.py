"""DRF's browsable API, taught the contract's response shapes.

    GET /api/drf/books        Accept: text/html...   -> an HTML page: the JSON,
                                                        filters, page links, forms

DRF's own renderer does almost everything: the page links come from the
view's paginator (drf_support/pagination.py draws them), the forms from
`get_serializer()` and the permission classes (`show_form_for_method`), the
login link from the session pages. What this subclass adds:

- on a list page that answered an error (a 422 for a bad filter), the
  filter form with the values sent and a link to the first page, so the
  visitor can fix the filter in place (DRF shows neither on an error);
- forms on pages that name an object DRF could not find in the body (an
  error page, or a view answering plain data): decided by the view's
  `get_object()`, so a missing book or someone else's user gets none;
- a "Raw data" example that is valid as it is;
- `Vary: Accept, Cookie`, since the same URL answers JSON to others.

Only browsers see this renderer (drf_support.negotiation): a JSON client gets
JSONRenderer's bytes, untouched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template import loader
from django.utils.cache import patch_vary_headers
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageLink
from rest_framework.renderers import BrowsableAPIRenderer

from common.errors import ApplicationError

# The templates DRF's PageNumberPagination / CursorPagination and
# django-filter's DjangoFilterBackend render with.
NUMBERS_TEMPLATE = "rest_framework/pagination/numbers.html"
FILTERSET_TEMPLATE = "django_filters/rest_framework/form.html"


@dataclass(frozen=True)
class FirstPageLink:
    """The pager of a list page that answered an error (a 422 for a bad filter).

    DRF draws page controls from the view's paginator, which never paged
    here: one link, to the first page without any filter, stands in for it.
    """

    url: str
    # The template shows the controls only when this is true.
    display_page_controls = True

    def to_html(self) -> str:
        link = PageLink(url=self.url, number=1, is_active=False, is_break=False)
        return loader.render_to_string(NUMBERS_TEMPLATE, {"page_links": [link]})


class BrowsableApiRenderer(BrowsableAPIRenderer):
    """DRF's browsable API, with page controls and filters read from the envelope."""

    def get_context(
        self, data: Any, accepted_media_type: str | None, renderer_context: Mapping[str, Any]
    ) -> dict[str, Any]:
        context = super().get_context(data, accepted_media_type, renderer_context)
        response = renderer_context["response"]
        if response.status_code >= 400 and _is_list_page(renderer_context["view"]):
            request = renderer_context["request"]
            context["paginator"] = FirstPageLink(request.build_absolute_uri(request.path))
        return context

    def show_form_for_method(self, view: Any, method: str, request: Any, obj: Any) -> bool:
        """DRF's rule, with the object found by the view (`get_object`) when the URL names one."""
        if obj is None and _names_an_object(view):
            try:
                # View-level permissions first (DRF's order): an anonymous visitor
                # is refused here, before the view is asked for anything. A
                # view's `check_permissions` may ask the domain, whose refusals
                # are the project's errors, not DRF's (UserDetailApi).
                if not super().show_form_for_method(view, method, request, None):
                    return False
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
