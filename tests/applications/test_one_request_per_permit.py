"""Issue 9, item 1: two renewals of one permit were both filed and instructed, and one tax stamp
paid for several files. One request in progress per permit and procedure family; a stamp used once;
the applicant is told which request is in progress (with its link), the agent sees the other one."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications.models import Dossier, Status
from applications.services import dossier_submit, dossier_withdraw, draft_save_step, draft_start, submission
from tests.applications.helpers import IDENTITY, pdf_file, situation
from tests.applications.test_filing import EPHOTO, filled_renewal
from tests.applications.test_filing import filled_renewal as filled_renewal_draft
from tests.backoffice.conftest import sign_in
from tests.factories import (
    DossierFactory,
    PermitFactory,
    StaffFactory,
    UserFactory,
    procedure,
    tax_stamp,
)

pytestmark = pytest.mark.django_db


def second_renewal(user, permit, code="renouvellement-salarie"):
    """Another renewal of the same permit, complete and ready to file."""
    from applications.services import attachment_add

    dossier, _ = draft_start(applicant=user, procedure=procedure(code))
    answers = {"eligibility": {"titre_meme_motif": "yes"}, "identity": IDENTITY, "situation": situation(permit)}
    if dossier.procedure.questions:
        answers["questions"] = {q["code"]: (q.get("choices") or ["x"])[0] for q in dossier.procedure.questions}
    for step, data in answers.items():
        draft_save_step(dossier=dossier, step=step, data=data, by=user)
    for requirement in dossier.procedure.requirements.select_related("document_type"):
        attachment_add(dossier=dossier, document_type=requirement.document_type, uploaded_file=pdf_file(), by=user)
    dossier.refresh_from_db()
    return dossier


def filed_renewal(user, mails):
    dossier = filled_renewal(user)
    with mails():
        return dossier_submit(dossier=dossier, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO)


def test_a_second_renewal_of_a_permit_with_one_in_progress_is_refused_with_the_open_request_named(mails):
    user = UserFactory()
    first = filed_renewal(user, mails)
    # Another renewal procedure of the same family (a change of motive) for the same permit.
    second = second_renewal(user, first.renewed_permit, code="renouvellement-etudiant")

    with pytest.raises(ValidationError) as error:
        dossier_submit(dossier=second, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO)

    assert error.value.message_dict["renewed_permit"] == [
        f"Vous avez déjà une demande en cours pour ce titre de séjour : le dossier n° {first.reference}. "
        "Suivez cette demande, ou retirez-la avant d'en déposer une autre."]
    second.refresh_from_db()
    assert second.status == Status.DRAFT


def test_a_renewal_may_be_filed_again_once_the_first_is_withdrawn(mails):
    user = UserFactory()
    first = filed_renewal(user, mails)
    with mails():
        dossier_withdraw(dossier=first, by=user)
    second = second_renewal(user, first.renewed_permit, code="renouvellement-etudiant")
    with mails():
        second = dossier_submit(dossier=second, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO)
    assert second.status == Status.SUBMITTED


def test_a_duplicate_of_the_permit_being_renewed_is_another_family_and_may_be_filed(mails):
    user = UserFactory()
    first = filed_renewal(user, mails)
    lost = DossierFactory(applicant=user, procedure=procedure("duplicata-perte-vol"), status="submitted",
                          renewed_permit=first.renewed_permit)
    assert lost.family == "duplicate"


def test_the_database_refuses_two_requests_in_progress_for_one_permit_and_family():
    permit = PermitFactory()
    DossierFactory(applicant=permit.holder, status="card_ready", renewed_permit=permit)
    with pytest.raises(IntegrityError), transaction.atomic():
        DossierFactory(applicant=permit.holder, status="submitted", renewed_permit=permit,
                       procedure=procedure("renouvellement-etudiant"))
    # Final ones do not count: a refused renewal may be asked again.
    Dossier.objects.filter(renewed_permit=permit).update(status="decided_unfavourable")
    DossierFactory(applicant=permit.holder, status="submitted", renewed_permit=permit)


def test_the_review_step_says_a_request_is_in_progress_and_links_to_it(client, mails):
    user = UserFactory()
    first = filed_renewal(user, mails)
    second = second_renewal(user, first.renewed_permit, code="renouvellement-etudiant")
    client.force_login(user)
    url = reverse("applications:step", args=[second.pk, "review"])

    html = client.get(url).content.decode().replace("&#x27;", "'")
    assert "Vous avez déjà une demande en cours pour ce titre" in html
    assert f'href="{reverse("applications:dossier", args=[first.pk])}"' in html

    response = client.post(url, {"certify": "on", "tax_stamp_number": tax_stamp(), "ephoto_code": EPHOTO})
    assert response.status_code == 200
    assert f"Voir le dossier n° {first.reference}" in response.content.decode()
    second.refresh_from_db()
    assert second.status == Status.DRAFT


def test_a_tax_stamp_already_used_is_refused_with_a_clear_message_and_the_form_keeps_its_input(client, mails):
    other = filed_renewal(UserFactory(), mails)
    user = UserFactory()
    dossier = filled_renewal(user)
    client.force_login(user)
    used = other.tax_stamp_number
    typed = f"{used[:4]} {used[4:8]} {used[8:12]} {used[12:]}"

    response = client.post(reverse("applications:step", args=[dossier.pk, "review"]),
                           {"certify": "on", "tax_stamp_number": typed, "ephoto_code": EPHOTO})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["tax_stamp_number"] == [
        "Ce numéro de timbre fiscal a déjà servi pour une autre demande. Un timbre ne sert qu'une fois : "
        "vérifiez le numéro, ou achetez un nouveau timbre."
    ]
    html = response.content.decode()
    assert f'value="{typed}"' in html and f'value="{EPHOTO}"' in html
    assert other.reference not in html  # someone else's file is not named
    dossier.refresh_from_db()
    assert dossier.status == Status.DRAFT


def test_a_used_tax_stamp_is_listed_with_the_other_mistakes_at_once(client, mails):
    used = filed_renewal(UserFactory(), mails).tax_stamp_number
    user = UserFactory()
    dossier = filled_renewal(user)
    client.force_login(user)

    response = client.post(reverse("applications:step", args=[dossier.pk, "review"]),
                           {"certify": "on", "tax_stamp_number": used, "ephoto_code": "trop court"})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"tax_stamp_number", "ephoto_code"}


def test_the_database_refuses_one_tax_stamp_on_two_filed_dossiers():
    DossierFactory(status="submitted", tax_stamp_number="1111222233334444")
    DossierFactory(status="draft", tax_stamp_number="1111222233334444")  # a draft has used nothing yet
    with pytest.raises(IntegrityError), transaction.atomic():
        DossierFactory(status="withdrawn", tax_stamp_number="1111222233334444")


def test_the_agents_file_page_warns_of_another_request_in_progress_for_the_same_permit(client):
    agent = StaffFactory(with_totp=True)
    permit = PermitFactory()
    renewal = DossierFactory(applicant=permit.holder, status="submitted", renewed_permit=permit)
    lost = DossierFactory(applicant=permit.holder, status="under_review", renewed_permit=permit,
                          procedure=procedure("duplicata-perte-vol"))
    alone = DossierFactory(status="submitted", renewed_permit=PermitFactory())
    sign_in(client, agent)

    html = client.get(reverse("backoffice_instruction:dossier", args=[renewal.pk])).content.decode()
    assert "Le demandeur a une autre demande en cours pour le même titre de séjour" in html
    assert f'href="{reverse("backoffice_instruction:dossier", args=[lost.pk])}">{lost.reference}</a>' in html

    html = client.get(reverse("backoffice_instruction:dossier", args=[alone.pk])).content.decode()
    assert "une autre demande en cours pour le même titre" not in html


def test_review_step_errors_come_all_at_once_not_in_two_rounds(client):
    """Regression: with the box unticked, the stamp and photo code were checked only once it was
    ticked, so the person corrected the form twice."""
    user = UserFactory()
    dossier = filled_renewal(user)
    client.force_login(user)

    response = client.post(reverse("applications:step", args=[dossier.pk, "review"]),
                           {"tax_stamp_number": "12", "ephoto_code": "ABC"})

    errors = response.context["form"].errors
    assert errors["certify"] == ["Cochez la case pour certifier vos informations."]
    assert errors["tax_stamp_number"] == ["Le numéro de timbre fiscal électronique comporte 16 chiffres."]
    assert errors["ephoto_code"] == [
        "Le code e-photo comporte 22 lettres ou chiffres ; il est imprimé sur la planche de photos."]


def test_review_step_shows_the_birth_date_in_the_readers_format_not_iso(client):
    """Regression: the summary showed 1990-03-02."""
    user = UserFactory()
    dossier = filled_renewal(user)
    client.force_login(user)
    url = reverse("applications:step", args=[dossier.pk, "review"])

    html = client.get(url).content.decode()
    assert "2 mars 1990 – Dakar" in html and "1990-03-02" not in html

    client.post(reverse("set_language"), {"language": "en", "next": url})
    html = client.get(url).content.decode()
    assert "2 March 1990 – Dakar" in html


# --- Another filing lands between the checks and the save -----------------------------------------
# The threaded versions (test_one_request_per_permit_concurrency.py) need a committed database; these
# run the competing filing inside the checked one, in the same transaction, which reaches the same
# place: the checks have passed and the database constraint refuses the save. (The competing filing
# is undone with the refused one here, where a real winner has committed: the tests read what the
# refused person is told.)

def file_while_another_lands(dossier, stamp, *, other, other_stamp, landed: list[str]) -> None:
    """Files ``dossier`` while ``other`` is filed between its checks and its save; the reference
    ``other`` got goes into ``landed``."""
    real = submission.dossier_submit_check

    def check_then_the_other_files(**kwargs):
        errors = real(**kwargs)
        if kwargs["dossier"].pk == dossier.pk:
            landed.append(dossier_submit(dossier=other, by=other.applicant, tax_stamp_number=other_stamp,
                                         ephoto_code=EPHOTO).reference)
        return errors

    with mock.patch.object(submission, "dossier_submit_check", check_then_the_other_files):
        dossier_submit(dossier=dossier, by=dossier.applicant, tax_stamp_number=stamp, ephoto_code=EPHOTO)


def test_a_renewal_that_loses_the_race_for_its_permit_gets_the_message_naming_the_winner(mails):
    user = UserFactory()
    first = filled_renewal_draft(user)
    second = second_renewal(user, first.renewed_permit, code="renouvellement-etudiant")
    landed: list[str] = []

    with mails(), pytest.raises(ValidationError) as error:
        file_while_another_lands(second, tax_stamp(), other=first, other_stamp=tax_stamp(), landed=landed)

    assert error.value.message_dict == {"renewed_permit": [
        f"Vous avez déjà une demande en cours pour ce titre de séjour : le dossier n° {landed[0]}. "
        "Suivez cette demande, ou retirez-la avant d'en déposer une autre."]}
    second.refresh_from_db()
    assert second.status == Status.DRAFT


def test_a_file_that_loses_the_race_for_its_tax_stamp_gets_the_used_stamp_message(mails):
    one, other = filled_renewal_draft(UserFactory()), filled_renewal_draft(UserFactory())
    stamp = tax_stamp()
    landed: list[str] = []

    with mails(), pytest.raises(ValidationError) as error:
        file_while_another_lands(one, stamp, other=other, other_stamp=stamp, landed=landed)

    assert len(landed) == 1
    assert error.value.message_dict == {"tax_stamp_number": [
        "Ce numéro de timbre fiscal a déjà servi pour une autre demande. Un timbre ne sert qu'une fois : "
        "vérifiez le numéro, ou achetez un nouveau timbre."]}
    one.refresh_from_db()
    assert one.status == Status.DRAFT
