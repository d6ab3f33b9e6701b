from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from accounts import hooks
        from documents.models import IssuedDocument
        from documents.services import welcome_letter_issue, welcome_letter_pdf

        # accounts sits below documents: it asks for welcome letters through its hooks.
        hooks.register(
            welcome_letter_issue=lambda user, by: welcome_letter_issue(user=user, by=by).pk,
            welcome_letter_pdf=lambda document_id, code: welcome_letter_pdf(
                document=IssuedDocument.objects.get(pk=document_id), activation_code=code),
        )
