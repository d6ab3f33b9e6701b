"""accounts.decorators.role_required: the one way a page reserved to a role refuses everyone else
(docs/architecture.md, "Refusals")."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.decorators import role_required
from accounts.models import Role
from accounts.permissions import role_prefecture_ids
from tests.backoffice.conftest import sign_in
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Seuls les chefs de bureau ont accès à cette page."


def supervises_somewhere(*, user):
    # A check that does not ask for the second factor itself: the decorator must.
    return role_prefecture_ids(user=user, roles=(Role.SUPERVISOR,))


@role_required(supervises_somewhere, MESSAGE)
def supervision_page(request, pk):
    return HttpResponse(f"page {pk}")


def visit(user):
    request = RequestFactory().get("/backoffice/charge/?agent=3")
    request.user = user
    return supervision_page(request, pk=7)


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_comes_back():
    response = visit(AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/backoffice/charge/%3Fagent%3D3"


def test_an_applicant_is_refused_with_the_message():
    with pytest.raises(PermissionDenied) as refusal:
        visit(UserFactory())
    assert str(refusal.value) == MESSAGE


def test_staff_with_the_role_but_no_verified_second_factor_are_refused():
    with pytest.raises(PermissionDenied) as refusal:
        visit(StaffFactory(supervisor=True, with_totp=True, verified=False))
    assert str(refusal.value) == MESSAGE


def test_verified_staff_without_the_role_are_refused():
    with pytest.raises(PermissionDenied) as refusal:
        visit(StaffFactory(with_totp=True))  # an agent, not a supervisor
    assert str(refusal.value) == MESSAGE


def test_verified_staff_with_the_role_reach_the_page_with_its_arguments():
    response = visit(StaffFactory(supervisor=True, with_totp=True))
    assert response.status_code == 200
    assert response.content == b"page 7"


def test_the_403_page_says_why(client):
    sign_in(client, StaffFactory(mediator=True, with_totp=True))
    response = client.get(reverse("backoffice_instruction:queue"))
    assert response.status_code == 403
    assert "Seuls les agents instructeurs et les chefs de bureau ont accès à cette page." in response.content.decode()
    response = client.get(reverse("backoffice_instruction:workload"))
    assert "Seuls les chefs de bureau ont accès à cette page." in response.content.decode()
