from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications.selectors import permits_for_holder


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The applicant's space: their permits, with the renewal window of each."""
    return render(request, "applications/dashboard.html", {
        "permits": permits_for_holder(user=request.user),
    })
