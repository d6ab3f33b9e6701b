"""One answer to "who is the client" behind the reverse proxy, and one rate limiter
(issue 8, item 5)."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import RequestFactory
from django.urls import reverse

from accounts.http import client_ip, rate_limit_allow
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
FORGED = "198.51.100.66"  # an entry the client wrote itself
CLIENT = "203.0.113.7"  # the entry the proxy appended


def test_lockout_rows_behind_the_proxy_name_the_client_not_the_proxy(client, settings):
    settings.CLIENT_IP_PROXY_COUNT = 1
    person = UserFactory()

    client.post(reverse("accounts:login"), {"username": person.email, "password": "wrong"},
                REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CLIENT]

    client.post(reverse("accounts:login"), {"username": person.email, "password": PASSWORD},
                REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}")
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == [CLIENT]


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(settings):
    settings.CLIENT_IP_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=FORGED)

    assert client_ip(request) == CLIENT


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (1, CLIENT, CLIENT),
    (1, f"{FORGED}, {CLIENT}", CLIENT),
    (2, f"{FORGED}, {CLIENT}, 10.0.0.2", CLIENT),
    (2, CLIENT, PROXY),  # too short: the request did not come through both proxies
    (1, "", PROXY),  # straight to the app, bypassing the proxy
])
def test_behind_n_proxies_the_client_is_the_entry_the_outermost_one_added(settings, proxies, forwarded, expected):
    settings.CLIENT_IP_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_one_rate_limiter_counts_per_scope_and_key():
    def attempt(scope, key):
        return rate_limit_allow(scope=scope, key=key, limit=2, window_seconds=60)

    assert [attempt("documents:verify", CLIENT) for _i in range(3)] == [True, True, False]
    assert attempt("documents:verify", FORGED) is True
    assert attempt("appointments:attempts", CLIENT) is True
