"""Book admin: the same rules as the API, through a form instead of a service.

Admin saves don't go through `books.services` (the admin is Django's own
write path), so the form runs `books.rules.validate_book`: titles are
trimmed and ISBNs stored as ISBN-13 here too. Cache invalidation needs
nothing: the post_save/post_delete signals in `books.cache` fire for admin
saves and deletes as for any ORM write.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from books.models import Book
from books.rules import validate_book
from common.errors import ValidationFailed


class BookAdminForm(forms.ModelForm):
    # Wider than the column: "978-0-441-17271-9" is typed, "9780441172719" stored.
    isbn = forms.CharField(required=False, max_length=32, label="ISBN",
                           help_text="ISBN-10 or ISBN-13; hyphens and spaces are fine.")

    class Meta:
        model = Book
        fields = ["title", "author", "year", "isbn", "description", "created_by"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty on "add", it becomes the admin who saves (see save_model).
        self.fields["created_by"].required = False

    def clean(self) -> dict[str, Any]:
        super().clean()  # ModelForm's: its return value is self.cleaned_data
        cleaned = self.cleaned_data
        values = {
            field: cleaned.get(field)
            for field in ("title", "author", "year", "isbn", "description")
            if field not in self.errors  # Django already refused its type
        }
        try:
            cleaned.update(validate_book(values, partial=True))
        except ValidationFailed as exc:
            for detail in exc.details:
                self.add_error(detail.field, detail.message)
        return cleaned


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    form = BookAdminForm
    list_display = ["id", "title", "author", "year", "isbn", "created_by", "created_at"]
    list_display_links = ["id", "title"]
    search_fields = ["title", "author", "isbn"]
    list_filter = ["year", "created_at"]
    date_hierarchy = "created_at"
    # raw_id, not a <select> of every user: fine with a million users.
    raw_id_fields = ["created_by"]
    list_select_related = ["created_by"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["-id"]

    def save_model(self, request: HttpRequest, obj: Book, form: Any, change: bool) -> None:
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
