"""Cursor pagination for every list (ADR 0010): stable under inserts, no COUNT query, and an
opaque ``cursor`` parameter, so a client cannot jump to an arbitrary offset."""

from rest_framework.pagination import CursorPagination as BaseCursorPagination


class CursorPagination(BaseCursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"  # a view orders otherwise with its own ``ordering`` (unique, indexed fields)
