from django.urls import reverse, set_script_prefix
from django.utils.html import escape

from core.urls import url_of, url_parts


def test_url_of_writes_what_reverse_writes_escaped_for_one_and_two_ids():
    assert url_of("appointments:detail", 12) == escape(reverse("appointments:detail", args=[12]))
    assert url_of("applications:attachment", 3, 45) == escape(reverse("applications:attachment", args=[3, 45]))
    assert len(url_parts("applications:attachment", 2)) == 3


def test_url_of_follows_the_script_prefix():
    try:
        set_script_prefix("/portail/")
        assert url_of("notifications:detail", 7) == reverse("notifications:detail", args=[7])
        assert url_of("notifications:detail", 7).startswith("/portail/")
    finally:
        set_script_prefix("/")
