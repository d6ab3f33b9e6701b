"""Issue 17: the applicant's dossier page writes its lists (the pieces, the forms to add one, the
history, the links to correct an answer) in Python (``applications.presenters.dossier_*_html``)
rather than by a loop of the template. Each must write what the template wrote, character for
character, in French and in English, with what people and agents typed escaped: here each is
compared with the template it replaces, written plainly (the models' own fields, tags and
filters), on values that hold characters to escape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from accounts.models import User
from applications import presenters
from applications.forms import UploadForm
from applications.models import Attachment, DocumentType, Dossier, DossierEvent
from documents.models import IssuedDocument

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

CORRECTIONS_TEMPLATE = """{% load i18n %}
<h2>{% translate "Corriger ou retirer" %}</h2>
<ul>
  {% for section, field, label in fields %}
    <li><a href="{% url 'applications:amend' dossier.pk section field %}">{% blocktranslate %}Corriger : {{ label }}{% endblocktranslate %}</a></li>
  {% endfor %}
</ul>
{% if not mandate %}<a class="fr-btn fr-btn--tertiary fr-mt-2w" href="{% url 'applications:withdraw' dossier.pk %}">{% translate "Retirer ma demande" %}</a>{% endif %}"""  # noqa: E501

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


@pytest.mark.parametrize("mandate", [None, "a mediator's"])
def test_the_links_to_correct_or_withdraw_are_what_the_template_wrote(language, mandate):
    fields = [("identity", "last_name", "Nom <b>& co</b>"), ("situation", "phone", "Téléphone")]

    html = presenters.dossier_corrections_html(DOSSIER, fields, withdraw=not mandate)

    assert html == written(CORRECTIONS_TEMPLATE, fields=fields, mandate=mandate)
    assert "Nom &lt;b&gt;&amp; co&lt;/b&gt;" in html
    assert ("/dossiers/42/retirer/" in html) is (mandate is None)  # never for a mediator under a mandate
    # Kept per language: another dossier gets its own links.
    other = presenters.dossier_corrections_html(Dossier(pk=43), fields, withdraw=True)
    assert "/dossiers/43/corriger/identity/last_name/" in other and "/dossiers/43/retirer/" in other


def test_the_filed_sentence_is_what_the_template_wrote(language):
    dossier = Dossier(pk=42, reference="2026-69-<1>", submitted_at=AT)
    template = ('{% load i18n %}{% blocktranslate with ref=dossier.reference date=dossier.submitted_at|date:'
                '"DATETIME_FORMAT" %}Dossier n° <strong>{{ ref }}</strong>, déposé le {{ date }}.'
                '{% endblocktranslate %}')

    assert presenters.dossier_filed_sentence(dossier) == written(template, dossier=dossier)
    assert "2026-69-&lt;1&gt;" in presenters.dossier_filed_sentence(dossier)


HEAD_TEMPLATE = """{% load i18n %}<h1>{{ dossier.procedure.name }}</h1>
<p>{{ filed_sentence }}
  {% if dossier.prefecture %}{{ dossier.prefecture.name }}.{% endif %}</p>

<div class="fr-callout fr-mb-4w">
  <h2 class="fr-callout__title">{{ status_label }}</h2>
  <p class="fr-callout__text">{{ plain_status }}</p>
  {% if next_action %}<p class="fr-mt-2w"><strong>{% translate "Ce que vous devez faire :" %}</strong> {{ next_action }}</p>{% endif %}
  {% if dossier.filed_on_time is True %}<p class="fr-mt-2w"><span class="fr-badge fr-badge--success">{% translate "Déposé dans les délais" %}</span></p>
  {% elif dossier.filed_on_time is False %}<p class="fr-mt-2w"><span class="fr-badge fr-badge--warning">{% translate "Déposé hors délai" %}</span></p>{% endif %}
</div>"""  # noqa: E501


BACK_LINK_TEMPLATE = """{% load i18n %}<p class="fr-text--sm fr-mb-1w"><a href="{% url 'applications:dashboard' %}">{% translate "Mon espace" %}</a></p>
"""  # noqa: E501


@pytest.mark.parametrize("on_time", [True, False, None])
@pytest.mark.parametrize("with_prefecture", [True, False])
def test_the_head_and_title_are_what_the_template_wrote(language, on_time, with_prefecture):
    from applications.models import Procedure, Status
    from applications.workflow import NEXT_ACTION, PLAIN_STATUS
    from territory.models import Prefecture

    for status in Status:
        dossier = Dossier(pk=42, reference="2026-69-<1>", submitted_at=AT, status=status, filed_on_time=on_time,
                          procedure=Procedure(code="p", name=HOSTILE),
                          prefecture=Prefecture(name="Préfecture <du> & Rhône") if with_prefecture else None)
        label = presenters.status_labels()[status]
        context = {"dossier": dossier, "status_label": label, "plain_status": PLAIN_STATUS[status],
                   "next_action": NEXT_ACTION[status], "filed_sentence": presenters.dossier_filed_sentence(dossier)}

        html = presenters.dossier_head_html(dossier, plain_status=PLAIN_STATUS[status],
                                            next_action=NEXT_ACTION[status])

        assert html == written(HEAD_TEMPLATE, **context), status
        back = presenters.dossier_head_html(dossier, plain_status=PLAIN_STATUS[status],
                                            next_action=NEXT_ACTION[status], back_link=True)
        assert back == written(BACK_LINK_TEMPLATE) + html
        title = "{% load i18n %}{% blocktranslate with ref=dossier.reference %}Dossier {{ ref }}{% endblocktranslate %}"
        assert presenters.dossier_page_title(dossier) == written(title, dossier=dossier)
    assert "Passeport &lt;b&gt;" in html and ("&amp; Rhône." in html) is with_prefecture


#: A document's line as templates/documents/_document_item.html wrote it before ``document_item_html``.
DOCUMENT_ITEM_TEMPLATE = (Path(__file__).parent / "document_item_before.txt").read_text()


def documents_of_every_state() -> list[IssuedDocument]:
    """Documents of each branch of the line: a receipt, certificates in force (one with its
    successor pending), not yet in force, expired, superseded, revoked, one without an end."""
    today = timezone.localdate()

    def document(pk, kind="extension_certificate", **fields):
        return IssuedDocument(pk=pk, kind=kind, number=f"ANEF-<{pk}>", issued_at=AT, **fields)

    return [
        document(1, kind="filing_receipt", rendered_at=AT, file="documents/r.pdf"),
        document(2, valid_from=today - timedelta(days=3), valid_until=today + timedelta(days=90)),
        document(3, valid_from=today - timedelta(days=3), valid_until=today + timedelta(days=90), status="superseded",
                 superseded_on=today + timedelta(days=2), rendered_at=AT, file="documents/c.pdf"),
        document(4, valid_from=today + timedelta(days=5), valid_until=today + timedelta(days=95)),
        document(5, valid_from=today - timedelta(days=95), valid_until=today - timedelta(days=5)),
        document(6, valid_from=today - timedelta(days=95), valid_until=today + timedelta(days=5), status="superseded",
                 superseded_on=today - timedelta(days=1)),
        document(7, kind="favourable_decision", valid_from=today - timedelta(days=1)),
        document(8, kind="filing_receipt", status="revoked"),
    ]


def test_a_documents_line_is_what_its_template_wrote(language):
    for document in documents_of_every_state():
        expected = written(DOCUMENT_ITEM_TEMPLATE, document=document)
        assert presenters.document_item_html(document) + "\n" == expected, document.pk
        # The include, now the presenter's tag, writes the same line.
        assert written('{% include "documents/_document_item.html" %}', document=document) == expected
    assert "ANEF-&lt;2&gt;" in presenters.document_item_html(documents_of_every_state()[1])


def test_a_list_of_documents_is_what_its_loop_wrote(language):
    documents = documents_of_every_state()
    loop = ('{% for document in documents %}\n    {% include "documents/_document_item.html" %}\n  {% endfor %}')

    assert presenters.document_items_html(documents) == written(loop, documents=documents)
    assert presenters.document_items_html([]) == ""


#: The dossier page below its head and complements, as templates/applications/dossier.html wrote it
#: before ``dossier_rest_html``.
REST_TEMPLATE = (Path(__file__).parent / "dossier_rest_before.txt").read_text()


@pytest.mark.parametrize("status", ["submitted", "card_ready", "withdrawn"])
def test_the_rest_of_the_page_is_what_the_template_wrote(language, status):
    import itertools
    from types import SimpleNamespace

    from django.utils.safestring import mark_safe

    from appointments.models import Booking
    from core.fragments import CSRF_PLACEHOLDER

    site = SimpleNamespace(name="Lyon <Part-Dieu> & co")

    def booking(pk, state):
        return SimpleNamespace(pk=pk, status=state, get_status_display=lambda: str(Booking.Status(state).label),
                               motive=SimpleNamespace(get_code_display=lambda: "Remise <du> titre"),
                               slot=SimpleNamespace(starts_at=AT, desk=SimpleNamespace(site=site)))

    dossier = Dossier(pk=42, applicant_id=5, status=status)
    bookings = [booking(7, "booked"), booking(8, "cancelled")]
    upload = mark_safe(f'<form><input name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}"></form>')  # noqa: S308 (a constant)
    for some_bookings, booked, is_open, documents, forms in itertools.product(
            [[], bookings], [True, False], [True, False], ["", mark_safe("<li>doc</li>")], ["", upload]):
        parts = {"documents_html": documents, "attachments_html": mark_safe("<li>piece</li>"),
                 "upload_forms_html": forms, "timeline_html": mark_safe("<li>event</li>"),
                 "corrections_html": mark_safe("<h2>Corriger</h2>")}
        expected = written(REST_TEMPLATE, dossier=dossier, bookings=some_bookings, card_collection_booked=booked,
                           is_open=is_open, documents=[1] if documents else [], csrf_token="Tok", **parts)

        html = presenters.dossier_rest_html(dossier, bookings=some_bookings, card_collection_booked=booked,
                                            is_open=is_open, **parts)
        filled = Template("{% load anef %}{% with_csrf_token html %}").render(Context({"html": html,
                                                                                     "csrf_token": "Tok"}))
        assert filled == expected
    assert "Lyon &lt;Part-Dieu&gt; &amp; co" in filled and "Remise &lt;du&gt; titre" in filled
