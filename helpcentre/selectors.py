"""Reads of the help centre: the home's lists, an article, search, and the article behind a step
or an error (the stable keys the filing form and the error messages link with)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import get_language

from applications.models import Procedure
from applications.steps import STEP_LABELS
from helpcentre.models import SEARCH_CONFIGS, Article, Topic, search_vector

MAX_RESULTS = 30


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(is_published=True)


def search_language(language: str | None = None) -> str:
    language = (language or get_language() or "fr")[:2]
    return language if language in SEARCH_CONFIGS else "fr"


def article_search(*, query: str, language: str | None = None, vendor: str | None = None) -> list[Article]:
    """Published articles matching ``query`` in ``language`` (the active one by default), best first.

    PostgreSQL: full-text search with the language's configuration (French stemming: "renouveler"
    finds "renouvellement"), weighted title > summary > body, ranked (``SearchRank``), served by
    the GIN indexes of migration 0001. Any other database (SQLite for ``make run``): every word of
    the query must appear in the title, the summary or the body (``icontains``); titles first.
    ``vendor`` forces the path, for tests."""
    query = " ".join(query.split())[:200]
    if not query:
        return []
    language = search_language(language)
    vendor = vendor or connection.vendor
    articles = published_articles().select_related("procedure")
    if vendor == "postgresql":
        search = SearchQuery(query, config=SEARCH_CONFIGS[language], search_type="websearch")
        vector = search_vector(language)
        return list(articles.alias(document=vector).filter(document=search)
                    .annotate(rank=SearchRank(vector, search))
                    .order_by("-rank", "position", "slug")[:MAX_RESULTS])
    words = query.split()[:10]
    matches = Q()
    for word in words:
        matches &= (Q(**{f"title_{language}__icontains": word}) | Q(**{f"summary_{language}__icontains": word})
                    | Q(**{f"body_{language}__icontains": word}))
    in_title = Q()
    for word in words:
        in_title &= Q(**{f"title_{language}__icontains": word})
    return list(articles.filter(matches)
                .annotate(rank=Case(When(in_title, then=Value(2)), default=Value(1), output_field=IntegerField()))
                .order_by("-rank", "position", "slug")[:MAX_RESULTS])


@dataclass
class StepGroup:
    code: str
    label: str
    articles: list[Article] = field(default_factory=list)


@dataclass
class ProcedureGroup:
    procedure: Procedure
    articles: list[Article] = field(default_factory=list)


@dataclass
class HelpHome:
    topics: list[tuple[Topic, list[Article]]]
    steps: list[StepGroup]
    procedures: list[ProcedureGroup]
    faqs: list[Article]


def help_home() -> HelpHome:
    """What the help home lists, in two queries, each article once: the FAQs; the articles of a
    procedure under it; the generic help of each filing step under the step; the others by topic."""
    topics = list(Topic.objects.all())
    articles = list(published_articles().select_related("procedure").order_by("position", "slug"))
    by_topic: dict[int, list[Article]] = {topic.pk: [] for topic in topics}
    steps = {code: StepGroup(code=code, label=str(label)) for code, label in STEP_LABELS.items()}
    procedures: dict[int, ProcedureGroup] = {}
    faqs = []
    for article in articles:
        if article.kind == Article.Kind.FAQ:
            faqs.append(article)
            continue
        if article.procedure is not None:
            procedures.setdefault(article.procedure.pk, ProcedureGroup(article.procedure)).articles.append(article)
        elif article.step:
            steps[article.step].articles.append(article)
        elif article.topic_id in by_topic:  # each article once on the page: by procedure, by step, else by topic
            by_topic[article.topic_id].append(article)
    return HelpHome(
        topics=[(topic, by_topic[topic.pk]) for topic in topics if by_topic[topic.pk]],
        steps=[group for group in steps.values() if group.articles],
        procedures=sorted(procedures.values(), key=lambda group: str(group.procedure.name)),
        faqs=faqs,
    )


def article_get_published(*, slug: str) -> Article:
    """The published article ``slug``, or ``Article.DoesNotExist``."""
    return published_articles().select_related("procedure", "topic").get(slug=slug)


def article_for_step(*, procedure_code: str, step: str) -> Article | None:
    """The article a step's "Aide pour cette étape" leads to: the one written for this procedure
    and step, else the step's generic article (no procedure), else none."""
    return (published_articles().filter(step=step)
            .filter(Q(procedure__code=procedure_code) | Q(procedure__isnull=True))
            .order_by(Case(When(procedure__isnull=True, then=Value(1)), default=Value(0)), "position", "slug")
            .only("slug").first())


def article_for_error(*, code: str, procedure_code: str = "") -> Article | None:
    """The article that answers the error ``code``: at a step of a procedure, one tied to that
    procedure first, then a general one (never one written for another procedure); elsewhere, a
    general one first, then any."""
    articles = published_articles().filter(error_codes__code=code)
    if procedure_code:
        articles = articles.filter(Q(procedure__code=procedure_code) | Q(procedure__isnull=True))
    general_last = Case(When(procedure__isnull=True, then=Value(1)), default=Value(0 if procedure_code else 2))
    return articles.order_by(general_last, "position", "slug").only("slug").first()
