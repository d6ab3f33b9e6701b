"""The applicant's dossier, appointments and messages pages as HTML, to compare two trees (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_NAME .venv/bin/python bench/applicant_pages_html.py OUT
    # then the same from the other tree into OUT2, and: diff -r OUT OUT2

On a database with the demo data (``manage.py seed_demo``). Each filed demo dossier is shown to
its applicant in its own status and set to each of the others, with and without added rows (an
amended answer, a paper filing, a step done under a mandate, text holding characters to escape, a
refused piece, a piece sent since a complement request), in French and English, and the complement
answer sent back bound with its error; then every demo person's appointments and messages. All
in transactions rolled back: the database is left as it was (but the sessions). CSRF tokens, CSP
nonces and the signed origin of the error-report link are blanked.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anef.settings.base")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

STATUSES = [None, "submitted", "under_review", "complements_requested", "decided_favourable", "decided_unfavourable",
            "card_in_production", "card_ready", "card_delivered", "withdrawn", "closed_without_action"]
AT = datetime.datetime(2026, 11, 30, 9, 15, tzinfo=datetime.UTC)


class Rollback(Exception):
    pass


def clean(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="X"', html)
    html = re.sub(r'nonce="[^"]+"', 'nonce="X"', html)
    return re.sub(r'origine=[^"]+', "origine=X", html)


def enrich(dossier) -> None:
    from applications.models import Attachment, ComplementRequest, DossierEvent

    events = [
        ("amended", dossier.applicant_id, "", {"field": "Ville <b>&", "before": 'Lyon "1"', "after": "Lyon 'deux'"}),
        ("submitted", None, "", {"channel": "paper", "agent": "Jean <Dupont>"}),
        ("document_added", dossier.applicant_id, "",
         {"document_type": "Passeport & visa", "on_behalf": {"mediator": "Awa <M>", "site_city": "Lyon"}}),
        ("status_changed", 1, "under_review", {"message": "Bonjour <script>", "reason": "motif & 'raison'"}),
        ("complements_answered", dossier.applicant_id, "under_review", {}),
    ]
    for kind, actor_id, to_status, data in events:
        DossierEvent.objects.create(dossier=dossier, kind=kind, actor_id=actor_id, at=AT, to_status=to_status,
                                    data=data)
    request = ComplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True).first()
    if request is not None:
        sent = request.requested_at + datetime.timedelta(hours=1)
        for document_type in request.document_types.all():
            if not Attachment.objects.filter(dossier=dossier, document_type=document_type, is_current=True).update(
                    uploaded_at=sent):
                Attachment.objects.create(dossier=dossier, document_type=document_type, original_name="réponse <1>.pdf",
                                          content_type="application/pdf", extension=".pdf", size=10, sha256="0" * 64,
                                          uploaded_at=sent, file="x.pdf")
    current = list(Attachment.objects.filter(dossier=dossier, is_current=True)[:2])
    if current:
        Attachment.objects.filter(pk=current[0].pk).update(
            review="rejected", review_reason="Illisible <flou> & coupé", original_name='scan "1" <a>.pdf')
    if len(current) > 1:
        Attachment.objects.filter(pk=current[1].pk).update(review="accepted")


def main() -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import transaction
    from django.test import Client

    from accounts.models import User
    from applications.models import Dossier

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)

    def get(user, language: str, url: str, name: str, data: dict | None = None) -> None:
        cache.clear()
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        client.cookies["django_language"] = language
        response = client.post(url, data) if data is not None else client.get(url)
        (out / f"{name}.html").write_text(f"{response.status_code}\n" + clean(response.content.decode()))

    for dossier in Dossier.objects.exclude(status="draft").order_by("pk"):
        for extra in (False, True):
            for status in STATUSES:
                try:
                    with transaction.atomic():
                        if extra:
                            enrich(dossier)
                        if status:
                            Dossier.objects.filter(pk=dossier.pk).update(status=status)
                        for language in ("fr", "en"):
                            name = f"{dossier.pk}-{'x' if extra else 'o'}-{status or 'own'}-{language}"
                            get(dossier.applicant, language, f"/dossiers/{dossier.pk}/", name)
                            if (status or dossier.status) == "complements_requested":
                                get(dossier.applicant, language, f"/dossiers/{dossier.pk}/complements/",
                                    f"{name}-bound", {"message": "x" * 20000})
                        raise Rollback
                except Rollback:
                    pass
    for user in User.objects.filter(email__endswith="demo.anef.example").order_by("pk"):
        for url in ("/rendez-vous/", "/messages/"):
            for language in ("fr", "en"):
                get(user, language, url, f"{user.pk}-{url.strip('/')}-{language}")
    print(len(list(out.iterdir())), "pages written to", out)


if __name__ == "__main__":
    main()
