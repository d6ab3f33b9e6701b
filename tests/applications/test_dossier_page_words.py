"""Issue 14: the applicant's dossier page puts its rows into words in Python
(``applications.presenters.dossier_*``) rather than with a form, a ``{% url %}`` and a
``{% blocktranslate %}`` per item. What a person reads and sends must not change: the file inputs
are named as ``forms.UploadForm`` names them (the upload view reads that form), and what people
typed stays text."""

from __future__ import annotations

from html import escape

import pytest
from django.urls import reverse

from applications.forms import UploadForm
from applications.models import Attachment, DossierEvent
from tests.backoffice.conftest import file_renewal

pytestmark = pytest.mark.django_db


def page(client, dossier, language="fr") -> str:
    client.force_login(dossier.applicant)
    response = client.get(reverse("applications:dossier", args=[dossier.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_upload_input_is_the_upload_forms_own(client, language):
    from django.utils import translation

    dossier = file_renewal()
    html = page(client, dossier, language)

    requirements = list(dossier.procedure.requirements.select_related("document_type"))
    assert requirements
    with translation.override(language):
        for requirement in requirements:
            prefix = f"t{requirement.document_type_id}"
            field = UploadForm(document_type=requirement.document_type, prefix=prefix)["file"]
            action = reverse("applications:upload", args=[dossier.pk, requirement.document_type_id])
            assert f'action="{action}" class="fr-mt-2w" id="piece-{requirement.document_type_id}"' in html
            assert (f'<label class="fr-label" for="{field.auto_id}">{escape(requirement.document_type.name)}'
                    f'<span class="fr-hint-text">{escape(str(field.help_text))}</span></label>') in html
            assert f'id="{field.auto_id}" name="{field.html_name}"' in html


def test_what_people_typed_in_the_pieces_and_the_history_stays_text(client):
    dossier = file_renewal()
    piece = Attachment.objects.filter(dossier=dossier, is_current=True).first()
    Attachment.objects.filter(pk=piece.pk).update(review="rejected", review_reason="<i>flou</i> & coupé",
                                                  original_name='scan "1" <b>.pdf')
    DossierEvent.objects.create(dossier=dossier, kind="document_added", actor=dossier.applicant,
                                data={"on_behalf": {"mediator": "<b>Awa</b>", "site_city": "Lyon & co"}})

    html = page(client, dossier)

    assert "Refusée : &lt;i&gt;flou&lt;/i&gt; &amp; coupé" in html
    assert "scan &quot;1&quot; &lt;b&gt;.pdf</a>" in html
    assert "Pour votre compte : fait par &lt;b&gt;Awa&lt;/b&gt;, médiateur au PAN de Lyon &amp; co" in html
    assert "<b>Awa" not in html and "<i>flou" not in html


def test_the_rows_words_are_in_the_readers_language(client):
    """The rows' words are translated as the template translated them (their msgids must stay in
    the catalogue: a regression, a helper that makemessages did not read dropped them)."""
    dossier = file_renewal()
    DossierEvent.objects.create(dossier=dossier, kind="document_added", actor=dossier.applicant,
                                data={"on_behalf": {"mediator": "Awa", "site_city": "Lyon"}})

    french, english = page(client, dossier, "fr"), page(client, dossier, "en")

    assert "envoyée le " in french and "sent on " in english and "envoyée le " not in english
    assert "Pour votre compte : fait par Awa" in french
    assert "Pour votre compte" not in english and "Awa" in english


def test_a_piece_of_a_type_the_procedure_no_longer_asks_for_keeps_its_name(client):
    """The pieces take their types from the procedure's requirements (issue 17); a piece whose
    type was dropped from the procedure since it was sent is read with its own."""
    from applications.models import ProcedureDocument

    dossier = file_renewal()
    piece = Attachment.objects.filter(dossier=dossier, is_current=True).select_related("document_type").first()
    ProcedureDocument.objects.filter(procedure=dossier.procedure, document_type=piece.document_type).delete()

    html = page(client, dossier)

    assert f"<strong>{escape(piece.document_type.name)}</strong>" in html
