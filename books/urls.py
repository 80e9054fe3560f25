"""Routes of the books resource, included by config/drf_urls.py under /api/drf."""

from rest_framework.routers import SimpleRouter

from books.views import BookViewSet

# No trailing slashes anywhere in the contract: /books and /books/{id}.
router = SimpleRouter(trailing_slash=False)
router.register("books", BookViewSet, basename="book")

urlpatterns = router.urls
