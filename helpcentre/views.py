"""The public help pages (no sign-in): home, search, article, and the redirects behind the stable
links of the filing steps and of the error messages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from applications.catalogue_cache import CATALOGUE
from applications.steps import STEP_LABELS
from core.fragments import cached_fragment, public_page
from helpcentre import selectors, services
from helpcentre.models import Article


@public_page(depends_on=(services.HELP, CATALOGUE))
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # The lists are the same for every visitor: rendered once per language and version of the
    # articles and of the catalogue (procedure names), core.fragments.
    lists = cached_fragment("help-home", depends_on=(services.HELP, CATALOGUE), render=lambda: render_to_string(
        "helpcentre/_home_lists.html", {"home": selectors.help_home()}))
    return render(request, "helpcentre/home.html", {"lists": mark_safe(lists)})  # noqa: S308 (our own HTML)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL in text
    results = selectors.article_search(query=query) if query else []
    return render(request, "helpcentre/search.html", {"query": query, "results": results})


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        item = selectors.article_get_published(slug=slug)
    except Article.DoesNotExist:
        raise Http404 from None
    return render(request, "helpcentre/article.html", {
        "article": item, "step_label": STEP_LABELS.get(item.step), "feedback_given": request.GET.get("avis") in {
            "oui", "non"}, "helpful": request.GET.get("avis") == "oui",
    })


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """"Cet article vous a-t-il aidé ?": records the answer, then shows the article again with thanks."""
    try:
        item = selectors.article_get_published(slug=slug)
    except Article.DoesNotExist:
        raise Http404 from None
    answer = request.POST.get("utile")
    if answer not in {"oui", "non"}:
        return redirect("helpcentre:article", slug=item.slug)
    services.article_feedback_record(article=item, helpful=answer == "oui")
    return redirect(f"{reverse('helpcentre:article', args=[item.slug])}?avis={answer}#avis")


def _step_target(procedure_code: str, step: str) -> str:
    found = selectors.article_for_step(procedure_code=procedure_code, step=step)
    if found is not None:
        return reverse("helpcentre:article", args=[found.slug])
    return f"{reverse('helpcentre:search')}?{urlencode({'q': str(STEP_LABELS[step])})}"


@require_GET
def step(request: HttpRequest, procedure: str, step: str) -> HttpResponse:
    """``/aide/etape/<procedure>/<step>/``: the help of this step of this procedure."""
    if step not in STEP_LABELS:
        raise Http404
    return redirect(_step_target(procedure, step))


@require_GET
def error(request: HttpRequest, code: str, procedure: str = "", step: str = "") -> HttpResponse:
    """``/aide/erreur/<code>/[<procedure>/<step>/]``: the article that answers this error, else the
    help of the step where it happened, else the help home."""
    found = selectors.article_for_error(code=code, procedure_code=procedure)
    if found is not None:
        return redirect("helpcentre:article", slug=found.slug)
    if step in STEP_LABELS:
        return redirect(_step_target(procedure, step))
    return redirect("help")
