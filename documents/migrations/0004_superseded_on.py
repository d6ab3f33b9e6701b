"""The day a replacement takes effect (``superseded_on``).

Documents superseded before this migration were replaced on the day their successor was issued;
for those that prove a right (extension and favourable-decision certificates) the replacement now
takes effect on the day the successor starts, so a certificate re-issued ahead of its lapse is in
force again until its own end. Other documents keep the day their successor was issued.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# As documents.models.CONTINUITY_KINDS at the time of writing (migrations never import app code).
CONTINUITY_KINDS = ("extension_certificate", "favourable_decision")


def backfill_superseded_on(apps, schema_editor):
    IssuedDocument = apps.get_model("documents", "IssuedDocument")
    superseded = IssuedDocument.objects.filter(
        status="superseded", superseded_on__isnull=True).select_related("superseded_by")
    for document in superseded.iterator(chunk_size=2000):
        successor = document.superseded_by
        day = timezone.localdate(successor.issued_at)
        if document.kind in CONTINUITY_KINDS and successor.valid_from is not None:
            day = max(day, successor.valid_from)
        IssuedDocument.objects.filter(pk=document.pk).update(superseded_on=day)


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0003_document_kind_issued_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='issueddocument',
            name='document_superseded_has_successor',
        ),
        migrations.AddField(
            model_name='issueddocument',
            name='superseded_on',
            field=models.DateField(blank=True, null=True, verbose_name='remplacé à compter du'),
        ),
        migrations.RunPython(backfill_superseded_on, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='issueddocument',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'superseded'), ('superseded_by__isnull', False), ('superseded_on__isnull', False)), models.Q(('status', 'valid'), ('superseded_by__isnull', True), ('superseded_on__isnull', True)), ('status', 'revoked'), _connector='OR'), name='document_superseded_has_successor'),
        ),
    ]
