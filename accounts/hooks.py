"""What accounts asks of the apps above it, without importing them (docs/architecture.md).

An account made at a help point needs a welcome letter (``documents``) and every account message (a
reset or activation link, a reset code by SMS) is a row of ``notifications``'s outbox. Both apps sit
above ``accounts``, so each registers its function here in its ``AppConfig.ready()``; accounts
calls them through this module. Unregistered (an app not installed), the call raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hooks:
    #: (recipient=, channel=, event=, subject=, body=, derive=) -> None: writes one e-mail or SMS to
    #: the outbox in the caller's transaction; ``body`` holds ``accounts.tokens.SECRET_PLACEHOLDER``
    #: where the secret named by ``derive`` (a token or code, derived again at delivery) goes. Registered by
    #: ``notifications`` (``notifications.services.message_write``).
    message_send: Callable[..., Any] | None = None
    #: (user, by) -> document id: issues the person's welcome letter in the caller's transaction,
    #: its stored context without the activation code. Registered by ``documents``.
    welcome_letter_issue: Callable[[Any, Any], int] | None = None
    #: (document id, activation code) -> PDF bytes: the letter printed now, with the code, which is
    #: never stored. Registered by ``documents``.
    welcome_letter_pdf: Callable[[int, str], bytes] | None = None
    #: (person) -> [(dossier id, reference)]: the person's filed dossiers not yet closed, for a
    #: mandate limited to one of them. Registered by ``applications``.
    person_dossiers: Callable[[Any], list[tuple[int, str]]] | None = None
    #: (uploaded file) -> a checked upload (``content``, ``content_type``, ``extension``): the scan
    #: of a signed mandate form, checked like every upload; ``ValidationError`` with the reason.
    #: Registered by ``applications`` (``applications.uploads``).
    scan_check: Callable[[Any], Any] | None = None


hooks = Hooks()


def register(**functions: Callable[..., Any]) -> None:
    for name, function in functions.items():
        if not hasattr(Hooks, name):
            raise AttributeError(f"accounts.hooks has no hook {name!r}")
        setattr(hooks, name, function)


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    function = getattr(hooks, name)
    if function is None:
        raise RuntimeError(f"No app registered the accounts hook {name!r}.")
    return function(*args, **kwargs)
