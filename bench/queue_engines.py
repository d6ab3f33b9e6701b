"""The queue's 50 rows rendered by the Django template engine, by Jinja2 (Django's own Jinja2
backend) and by plain Python (``format_html``), in this process, from the same rows: the numbers
behind docs/adr/0011-queue-rows-template-engine.md (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench14 .venv/bin/python bench/queue_engines.py
    # Jinja2 is not a dependency of the project: to measure it, put it on the path, e.g.
    # pip install --target /tmp/jinja jinja2 && PYTHONPATH=/tmp/jinja .venv/bin/python bench/queue_engines.py

Reuses the data of ``bench/pages.py`` (run it once first on the same database).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pages  # noqa: E402,F401 - sets the production environment before Django starts

ROWS_DJANGO = """{% for row in rows %}<tr>
<td><ul class="fr-badges-group">{% for css, text in row.badges %}<li><p class="fr-badge {{ css }}">{{ text }}</p></li>\
{% endfor %}</ul></td>
<th scope="row"><a href="{{ row.url }}">{{ row.reference }}</a> <span class="fr-hint-text">{{ row.hint }}</span></th>
<td>{{ row.name }}{% if row.foreigner_number %}<span class="fr-hint-text">{{ row.foreigner_number }}</span>\
{% endif %}</td>
<td><p class="fr-badge fr-badge--sm fr-badge--no-icon {{ row.status_class }}">{{ row.status }}</p></td>
<td>{{ row.submitted }}</td>
<td>{{ row.deadline }}</td>
<td>{% if row.agent %}{{ row.agent }}{% else %}<span class="fr-text--sm">{{ unassigned }}</span>{% endif %}</td>
</tr>{% endfor %}"""

ROWS_JINJA = ROWS_DJANGO  # the same text: Jinja2 reads this subset of the syntax alike


def python_rows(rows, unassigned):
    from django.utils.html import format_html, format_html_join

    return format_html_join("", (
        '<tr><td><ul class="fr-badges-group">{}</ul></td><th scope="row"><a href="{}">{}</a> '
        '<span class="fr-hint-text">{}</span></th><td>{}{}</td><td><p class="fr-badge fr-badge--sm '
        'fr-badge--no-icon {}">{}</p></td><td>{}</td><td>{}</td><td>{}</td></tr>'), (
        (format_html_join("", '<li><p class="fr-badge {}">{}</p></li>', row["badges"]), row["url"],
         row["reference"], row["hint"], row["name"],
         format_html('<span class="fr-hint-text">{}</span>', row["foreigner_number"])
         if row["foreigner_number"] else "",
         row["status_class"], row["status"], row["submitted"], row["deadline"],
         row["agent"] or format_html('<span class="fr-text--sm">{}</span>', unassigned))
        for row in rows))


def timed(render, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        render()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    import django

    django.setup()
    from django.template import engines
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from applications import presenters
    from applications.backoffice.selectors import QueueFilters, queue_page_rows
    from applications.catalogue_cache import procedure_names

    agent = User.objects.get(email=f"agent.69@{pages.DOMAIN}")
    agent.otp_device = TOTPDevice.objects.filter(user=agent, confirmed=True).first()  # as after the code
    page, _cursor = queue_page_rows(user=agent, filters=QueueFilters(), limit=50)
    from django.utils import timezone

    def page_table():
        return presenters.queue_table(page, timezone.localdate(), several_prefectures=False,
                                      procedure_names=procedure_names({row.procedure_id for row in page}),
                                      department_codes={}, unassigned="Non attribué")

    rows, page_html = page_table()
    context = {"rows": rows, "unassigned": "Non attribué"}
    django_template = engines["django"].from_string(ROWS_DJANGO)
    results = {"Django templates": timed(lambda: django_template.render(context), 300),
               "Python (format_html)": timed(lambda: python_rows(rows, "Non attribué"), 300),
               "Python (presenters.queue_table, the page's: the cells and the HTML)": timed(page_table, 300)}
    try:
        from django.template.backends.jinja2 import Jinja2

        jinja = Jinja2({"NAME": "jinja2", "DIRS": [], "APP_DIRS": False, "OPTIONS": {"autoescape": True}})
        jinja_template = jinja.from_string(ROWS_JINJA)
        results["Jinja2 (Django backend)"] = timed(lambda: jinja_template.render(context), 300)
        same = jinja_template.render(context) == django_template.render(context)
    except ImportError:
        same = None
    print(f"{len(rows)} rows, median CPU per render of 300:")
    for name, ms in results.items():
        print(f"  {name}: {ms:.2f} ms")
    python_same = str(python_rows(rows, "Non attribué")) == django_template.render(context).replace("\n", "")
    page_same = (str(page_html).replace("\n", "").replace("  ", "")
                 == django_template.render(context).replace("\n", ""))
    print(f"Jinja2 output identical to Django's: {same}; Python's (newlines aside): {python_same}; "
          f"the page's (newlines and indents aside): {page_same}")


if __name__ == "__main__":
    main()
