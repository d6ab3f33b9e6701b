"""Texts of the catalogue's JSON lists (eligibility questions, procedure questions) in the active
language. Each item holds its French text under the plain key and may hold other languages under
``<key>_<language>`` (``text_en``, ``label_en``, ``message_en``, ``choices_en``); missing or empty,
the French text is shown (ADR 0004). Stored answers keep the French choice, whatever the language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def catalogue_text(item: dict[str, Any], key: str) -> Any:
    """``item[key]`` in the active language, or in French when it is not translated."""
    language = (get_language() or "fr").split("-")[0]
    if language != "fr":
        translated = item.get(f"{key}_{language}")
        if translated:
            return translated
    return item.get(key, "")


def catalogue_choices(item: dict[str, Any]) -> list[tuple[str, str]]:
    """The (stored value, label) pairs of a choice question: the value stays French."""
    values = list(item.get("choices", []))
    labels = catalogue_text(item, "choices")
    if not isinstance(labels, list) or len(labels) != len(values):
        labels = values
    return list(zip(values, labels, strict=True))
