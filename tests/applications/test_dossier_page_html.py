"""Issue 17: the applicant's dossier page writes its lists (the pieces, the forms to add one, the
history, the links to correct an answer) in Python (``applications.presenters.dossier_*_html``)
rather than by a loop of the template. Each must write what the template wrote, character for
character, in French and in English, with what people and agents typed escaped: here each is
compared with the template it replaces, written plainly (the models' own fields, tags and
filters), on values that hold characters to escape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from accounts.models import User
from applications import presenters
from applications.forms import UploadForm
from applications.models import Attachment, DocumentType, Dossier, DossierEvent

ATTACHMENTS_TEMPLATE = """{% load i18n %}
  {% for attachment in attachments %}
  <li class="fr-py-2w">
    <p class="fr-mb-0"><strong>{{ attachment.document_type.name }}</strong></p>
    <p class="fr-text--sm fr-mb-0"><a class="anef-filename" href="{% url 'applications:attachment' dossier.pk attachment.pk %}" target="_blank" rel="noopener">{{ attachment.original_name }}</a>
      – {% blocktranslate with date=attachment.uploaded_at|date:"DATE_FORMAT" %}envoyée le {{ date }}{% endblocktranslate %}</p>
    <p class="fr-text--sm fr-mb-0">{% translate "Vérification :" %} {{ attachment.get_review_display }}{% if attachment.review_reason %} : {{ attachment.review_reason }}{% endif %}</p>
  </li>
  {% empty %}
  <li>{% translate "Aucune pièce envoyée." %}</li>
  {% endfor %}
"""  # noqa: E501

UPLOAD_FORMS_TEMPLATE = """{% load i18n %}
  {% for document_type, field in forms %}
    <form method="post" enctype="multipart/form-data" action="{% url 'applications:upload' dossier.pk document_type.pk %}" class="fr-mt-2w" id="piece-{{ document_type.pk }}" novalidate>
      {% csrf_token %}
      <div class="fr-upload-group">
        <label class="fr-label" for="{{ field.auto_id }}">{{ document_type.name }}<span class="fr-hint-text">{{ field.help_text }}</span></label>
        <input class="fr-upload" type="file" id="{{ field.auto_id }}" name="{{ field.html_name }}" accept=".pdf,.jpg,.jpeg,.png">
      </div>
      <button type="submit" class="fr-btn fr-btn--secondary fr-btn--sm fr-mt-1w">{% blocktranslate with name=document_type.name %}Envoyer : {{ name }}{% endblocktranslate %}</button>
    </form>
  {% endfor %}
"""  # noqa: E501

TIMELINE_TEMPLATE = """{% load i18n %}
  {% for event in events %}
    <li class="{% if event.kind == 'amended' %}anef-timeline__amended{% endif %}">
      <p class="fr-text--sm fr-mb-0">{{ event.at|date:"DATETIME_FORMAT" }}</p>
      <p class="fr-mb-0"><strong>{{ event.get_kind_display }}</strong>{% if event.kind == "status_changed" or event.kind == "complements_answered" %} – {{ event.get_to_status_display }}{% endif %}</p>
      <p class="fr-text--sm">
        {% if event.data.on_behalf %}{% blocktranslate with mediator=event.data.on_behalf.mediator site=event.data.on_behalf.site_city %}Pour votre compte : fait par {{ mediator }}, médiateur au PAN de {{ site }}{% endblocktranslate %}{% elif event.actor_id == dossier.applicant_id %}{% translate "Par vous" %}{% elif event.actor %}{% translate "Par la préfecture" %}{% else %}{% translate "Automatiquement" %}{% endif %}
        {% if event.kind == "amended" %} – {{ event.data.field }} : « {{ event.data.before }} » → « {{ event.data.after }} »{% endif %}
        {% if event.kind == "document_added" %} – {{ event.data.document_type }}{% endif %}
        {% if event.kind == "submitted" and event.data.channel == "paper" %} – {% blocktranslate with name=event.data.agent %}déposé au guichet sur papier par {{ name }}{% endblocktranslate %}{% endif %}
        {% if event.data.message %} – {{ event.data.message }}{% endif %}
        {% if event.data.reason %} – {{ event.data.reason }}{% endif %}
      </p>
    </li>
  {% endfor %}
"""  # noqa: E501

AMEND_LINKS_TEMPLATE = """{% load i18n %}
  {% for section, field, label in fields %}
    <li><a href="{% url 'applications:amend' dossier.pk section field %}">{% blocktranslate %}Corriger : {{ label }}{% endblocktranslate %}</a></li>
  {% endfor %}
"""  # noqa: E501

AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # the next day in Paris
DOSSIER = Dossier(pk=42, applicant_id=5)
HOSTILE = "Passeport <b>\"recto\"</b> & l'autre"


def written(template: str, **context) -> str:
    return Template(template).render(Context({"dossier": DOSSIER, **context}))


def document_type(pk: int, name: str = HOSTILE) -> DocumentType:
    return DocumentType(pk=pk, code=f"type-{pk}", name=name, allowed_formats=["pdf", "png"], max_size_mb=8)


@pytest.fixture(params=["fr", "en"])
def language(request):
    with translation.override(request.param), timezone.override("Europe/Paris"):
        yield request.param


def test_the_pieces_are_what_the_template_wrote(language):
    attachments = [
        Attachment(pk=7, document_type=document_type(3), original_name='scan "1" <i>.pdf', uploaded_at=AT,
                   review="rejected", review_reason="<i>flou</i> & coupé"),
        Attachment(pk=8, document_type=document_type(4, "Photo"), original_name="photo.jpg", uploaded_at=AT,
                   review="pending", review_reason=""),
    ]

    html = presenters.dossier_attachments_html(DOSSIER, attachments)

    assert html == written(ATTACHMENTS_TEMPLATE, attachments=attachments)
    assert "&lt;i&gt;flou&lt;/i&gt; &amp; coupé" in html and "<i>" not in html
    assert presenters.dossier_attachments_html(DOSSIER, []) == written(ATTACHMENTS_TEMPLATE, attachments=[])


def test_the_upload_forms_are_what_the_template_wrote_with_the_pages_token(language):
    types = [document_type(3), document_type(4, "Photo")]
    forms = [(t, UploadForm(document_type=t, prefix=f"t{t.pk}")["file"]) for t in types]

    html = presenters.dossier_upload_forms_html(DOSSIER, types)
    filled = Template("{% load anef %}{% with_csrf_token html %}").render(Context({"html": html, "csrf_token": "Tok"}))

    assert filled == written(UPLOAD_FORMS_TEMPLATE, forms=forms, csrf_token="Tok")
    assert "Passeport &lt;b&gt;&quot;recto&quot;&lt;/b&gt; &amp; l&#x27;autre" in filled
    # Kept per type and language: the second dossier gets its own actions, the same words.
    other = presenters.dossier_upload_forms_html(Dossier(pk=43), types[:1])
    assert 'action="/dossiers/43/pieces/type/3/"' in other and "/dossiers/42/" not in other


def test_the_upload_forms_token_goes_only_into_html_marked_safe():
    with pytest.raises(TypeError):
        Template("{% load anef %}{% with_csrf_token text %}").render(Context({"text": "<b>"}))


def events(applicant_id: int) -> list[DossierEvent]:
    """Events of each branch of the history, with details holding characters to escape."""
    agent = User(pk=90_001, first_name="Zoé", last_name="O'Brien <b>")

    def event(kind, **fields):
        return DossierEvent(kind=kind, at=AT, **fields)

    return [
        event("created", actor_id=applicant_id, to_status="draft"),
        event("submitted", actor=agent, to_status="submitted", data={"channel": "paper", "agent": "Zoé <O'Brien>"}),
        event("submitted", actor_id=applicant_id, to_status="submitted", data={"channel": "online"}),
        event("document_added", actor_id=90_002, data={
            "document_type": "Passeport <scan>", "on_behalf": {"mediator": "<b>Awa</b>", "site_city": "Lyon & co"}}),
        event("amended", actor_id=applicant_id, data={"field": "Téléphone \"mobile\"", "before": None, "after": 6.5}),
        event("status_changed", actor=agent, to_status="under_review", data={"message": "m<1>", "reason": "r&2"}),
        event("complements_answered", to_status="", data={"on_behalf": True}),
        event("note", data=["not", "a", "dictionary"]),
    ]


def test_the_history_is_what_the_template_wrote(language):
    history = events(DOSSIER.applicant_id)

    html = presenters.dossier_timeline_html(DOSSIER, history)

    assert html == written(TIMELINE_TEMPLATE, events=history)
    assert "&lt;b&gt;Awa&lt;/b&gt;" in html and "Zoé &lt;O&#x27;Brien&gt;" in html and "<b>" not in html


def test_the_links_to_correct_an_answer_are_what_the_template_wrote(language):
    fields = [("identity", "last_name", "Nom <b>& co</b>"), ("situation", "phone", "Téléphone")]

    html = presenters.dossier_amend_links_html(DOSSIER, fields)

    assert html == written(AMEND_LINKS_TEMPLATE, fields=fields)
    assert "Nom &lt;b&gt;&amp; co&lt;/b&gt;" in html
    # Kept per language: another dossier gets its own links.
    assert "/dossiers/43/corriger/identity/last_name/" in presenters.dossier_amend_links_html(Dossier(pk=43), fields)
