import pytest


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    """Runs the after-commit side effects of each block (the e-mails a view queued), as a real
    commit would: ``with mails(): client.post(...)``, then read ``django.core.mail.outbox``."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
