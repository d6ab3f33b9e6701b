"""Files and answers used by the filing tests."""

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter


def pdf_file(name: str = "passeport.pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def jpeg_file(name: str = "photo.jpg") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


IDENTITY = {"last_name": "Diallo", "first_name": "Amina", "birth_date": "1990-03-02",
            "birth_place": "Dakar, Sénégal", "nationality": "sénégalaise", "foreigner_number": "1234567890"}


def situation(permit=None) -> dict:
    data = {"address": "3 rue de la République", "postal_code": "69002", "city": "Lyon",
            "department": "69", "phone": "", "family_situation": "single", "occupation": "salariée"}
    if permit is not None:
        data["renewed_permit"] = permit.pk
    return data


def renewable_permit(holder, days_left: int = 90):
    from tests.factories import PermitFactory

    return PermitFactory(holder=holder, valid_until=timezone.localdate() + timedelta(days=days_left))
