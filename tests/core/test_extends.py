"""``core.extends``: the portal's ``{% extends %}`` renders as Django's, its root template's
blocks found once (issue 17)."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, TemplateSyntaxError, engines

from core.extends import KeptBlocksExtendsNode

TEMPLATES = {
    "root.html": "<t>{% block title %}Root{% endblock %}</t>{% if show %}{% block body %}B{% endblock %}{% endif %}"
                 "{% for i in items %}{% block item %}[{{ i }}]{% endblock %}{% endfor %}",
    "middle.html": "{% extends 'root.html' %}{% block title %}Middle {{ block.super }}{% endblock %}",
    "leaf.html": "{% extends 'middle.html' %}{% block body %}Leaf {{ block.super }} {{ who }}{% endblock %}"
                 "{% block item %}<{{ block.super }}>{% endblock %}",
    "direct.html": "{% extends 'root.html' %}{% block item %}{{ i }}!{% endblock %}",
    "variable.html": "{% extends parent %}{% block title %}From a variable{% endblock %}",
    "texts.html": "only text",
    "on-texts.html": "{% extends 'texts.html' %}{% block title %}never{% endblock %}",
}


def engine(kept: bool) -> Engine:
    return Engine(loaders=[("django.template.loaders.locmem.Loader", TEMPLATES)],
                  builtins=["core.extends"] if kept else [])


@pytest.mark.parametrize("name", ["leaf.html", "middle.html", "direct.html", "on-texts.html"])
@pytest.mark.parametrize("show", [True, False])
def test_it_renders_as_django_s_extends_again_and_again(name, show):
    values = {"show": show, "items": [1, 2], "who": "<b>"}
    kept, django_s = engine(True).get_template(name), engine(False).get_template(name)
    assert type(kept.nodelist[0]) is KeptBlocksExtendsNode
    expected = django_s.render(Context(values))
    for _ in range(3):
        assert kept.render(Context(values)) == expected


def test_a_parent_given_as_a_template_or_by_name():
    kept, django_s = engine(True), engine(False)
    for parent in ("middle.html", kept.get_template("middle.html")):
        assert (kept.get_template("variable.html").render(Context({"parent": parent, "show": True}))
                == django_s.get_template("variable.html").render(Context({"parent": "middle.html", "show": True})))


def test_the_same_errors():
    kept = engine(True)
    with pytest.raises(TemplateSyntaxError, match="cannot appear more than once"):
        kept.from_string("{% extends 'root.html' %}{% extends 'root.html' %}")
    with pytest.raises(TemplateSyntaxError, match="takes one argument"):
        kept.from_string("{% extends %}")
    with pytest.raises(TemplateSyntaxError, match="must be the first tag"):
        kept.from_string("{% if x %}{% endif %}{% extends 'root.html' %}")


def test_the_portal_s_templates_use_it():
    template = engines["django"].engine.from_string("{% extends 'base.html' %}")
    assert type(template.nodelist[0]) is KeptBlocksExtendsNode
