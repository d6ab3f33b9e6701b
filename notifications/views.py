"""The person's inbox ("Mes messages"): the list, and one message."""

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core.layout import slotted_page
from notifications import presenters, selectors, services
from notifications.models import Notification

INBOX_PAGE_SIZE = selectors.INBOX_PAGE_SIZE


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    first: list[Notification] | None = None
    if request.GET.get("page") in (None, "1"):  # most visits: the first page and the counts in one query
        first, total, unread = selectors.inbox_first_page_counted(user=request.user)
    else:
        total, unread = selectors.inbox_counts(user=request.user)
    # The paginator asks only count() and a slice of its list (django-stubs want a whole sequence).
    paginator: Paginator[Notification] = Paginator(cast("Any", _Inbox(request.user, total, first)), INBOX_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows_html = presenters.inbox_rows_html(page.object_list)
    unread_sentence = presenters.unread_sentence(unread) if unread else ""
    if paginator.num_pages == 1:
        # One page, no pagination: the template reads only these, the layout kept with the page
        # (core.layout).
        return slotted_page(request, "notifications/inbox.html",
                            context={"has_messages": bool(total), "unread_count": bool(unread), "paged": False},
                            slots={"rows_html": rows_html, "unread_sentence": unread_sentence})
    return render(request, "notifications/inbox.html", {
        "page": page, "rows_html": rows_html, "has_messages": bool(total), "paged": True,
        "pages_list": list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
        "unread_count": unread, "unread_sentence": unread_sentence,
    })


class _Inbox:
    """The inbox's messages for the paginator: their number already read with the unread ones
    (``inbox_counts``, or with the first page: ``first``), the first page by prepared SQL, the others
    by the ORM (issue 14)."""

    def __init__(self, user, total: int, first: list[Notification] | None = None) -> None:
        self.user, self.total, self.first = user, total, first

    def count(self) -> int:
        return self.total

    def __getitem__(self, rows: slice) -> list:
        if rows.start == 0:
            first = self.first if self.first is not None else selectors.inbox_first_page(user=self.user)
            return first[:rows.stop]
        return list(selectors.inbox_for_user(user=self.user)[rows])


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Opening a message marks it read, as in any mailbox: the GET changes only the read state of
    # the person's own message, which a stray prefetch or a forged link could at worst set early.
    notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    notification = services.inbox_mark_read(notification=notification, user=request.user)
    return render(request, "notifications/detail.html", {"notification": notification})


@login_required
@require_GET
def letters(request: AuthenticatedHttpRequest) -> HttpResponse:
    """"Courriers envoyés par la poste": what was sent to the person on paper, for them only."""
    paginator = Paginator(selectors.letters_sent_to_user(user=request.user), INBOX_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "notifications/letters.html", {
        "page": page, "rows_html": presenters.inbox_rows_html(page.object_list),
        "pages_list": list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
    })
