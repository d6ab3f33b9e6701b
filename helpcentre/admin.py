"""The help centre in the admin: a French and an English tab per text (as the catalogue, ADR 0004),
the body sanitised on save, every save a revision, any revision restorable."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from core.admin import TabularInline
from helpcentre import services
from helpcentre.models import Article, ArticleErrorCode, ArticleRevision, Topic
from helpcentre.sanitise import clean_html


@admin.register(Topic)
class TopicAdmin(TranslationAdmin):
    list_display = ["title", "slug", "position"]
    prepopulated_fields = {"slug": ["title_fr"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.help_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.help_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.help_changed()


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["slug", "kind", "topic", "title", "summary", "body", "procedure", "step", "position", "is_published"]

    def clean(self):
        cleaned = super().clean()
        # What the editor will see after saving is what the service stores: cleaned here already.
        for name, value in list(cleaned.items()):
            if name.startswith("body_") and value:
                cleaned[name] = clean_html(value)
        return cleaned


class ArticleErrorCodeInline(TabularInline):
    model = ArticleErrorCode
    extra = 1
    verbose_name_plural = _("Erreurs auxquelles l'article répond (code de l'erreur, ou nom du champ)")


class ArticleRevisionInline(TabularInline):
    model = ArticleRevision
    extra = 0
    can_delete = False
    fields = ("number", "created_at", "created_by", "restored_from", "title_fr", "title_en", "restore")
    readonly_fields = fields
    verbose_name_plural = _("Historique des versions")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rétablir"))
    def restore(self, revision: ArticleRevision) -> str:
        url = reverse("admin:helpcentre_article_restore", args=[revision.article_id, revision.pk])
        return format_html('<a href="{}">{}</a>', url, _("Rétablir cette version"))


@admin.register(Article)
class ArticleAdmin(TranslationAdmin):
    form = ArticleForm
    list_display = ["title", "kind", "topic", "procedure", "step", "is_published", "updated_at", "helped",
                    "did_not_help"]
    list_filter = ["kind", "is_published", "topic", "step", "procedure"]
    search_fields = ["title_fr", "title_en", "slug", "error_codes__code"]
    list_select_related = ["topic", "procedure"]
    prepopulated_fields = {"slug": ["title_fr"]}
    readonly_fields = ["updated_at", "updated_by"]
    inlines = [ArticleErrorCodeInline, ArticleRevisionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            helped_count=Count("feedback", filter=Q(feedback__helpful=True)),
            did_not_help_count=Count("feedback", filter=Q(feedback__helpful=False)),
        )

    @admin.display(description=_("a aidé"), ordering="helped_count")
    def helped(self, article) -> int:
        return article.helped_count

    @admin.display(description=_("n'a pas aidé"), ordering="did_not_help_count")
    def did_not_help(self, article) -> int:
        return article.did_not_help_count

    def save_model(self, request, obj, form, change):
        services.article_save(article=obj, by=request.user)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.help_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.help_changed()

    def get_urls(self):
        return [
            path("<int:pk>/versions/<int:revision_pk>/retablir/", self.admin_site.admin_view(self.restore_view),
                 name="helpcentre_article_restore"),
            *super().get_urls(),
        ]

    def restore_view(self, request, pk: int, revision_pk: int):
        article = get_object_or_404(Article, pk=pk)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        revision = get_object_or_404(ArticleRevision, pk=revision_pk, article=article)
        if request.method == "POST":
            services.article_restore(revision=revision, by=request.user)
            messages.success(request, _("La version %(number)s est rétablie.") % {"number": revision.number})
            return redirect("admin:helpcentre_article_change", article.pk)
        return TemplateResponse(request, "admin/helpcentre/restore.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "article": article,
            "revision": revision, "title": _("Rétablir la version %(number)s") % {"number": revision.number},
        })
