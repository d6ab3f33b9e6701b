import pytest

from helpcentre.models import Article
from helpcentre.services import article_save


@pytest.fixture
def make_article():
    """``make_article(slug, **fields)``: a published article saved through the service (French and
    English texts given as ``title_fr``, ``body_en``...)."""

    def make(slug: str, **fields) -> Article:
        fields.setdefault("title_fr", f"Titre {slug}")
        fields.setdefault("title_en", f"Title {slug}")
        article = Article(slug=slug, **fields)
        article_save(article=article, by=None)
        return article

    return make
