import pytest
from django.core.management import call_command

from mediation.models import Visit


@pytest.mark.django_db
def test_the_demo_pan_has_a_walk_in_log(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    visits = Visit.objects.filter(site__kind="pan", site__prefecture__department__code="69")
    assert visits.count() == 7
    assert visits.get(outcome="report_opened").report.last_name == "Koné"
    assert visits.filter(ended_at__isnull=True).count() == 1
    assert visits.filter(person__email="amina.diallo@demo.anef.example").exists()
    call_command("seed_demo")
    assert Visit.objects.count() == 7
