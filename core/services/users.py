"""Changes a user makes to their own account."""
from __future__ import annotations

from django.db import transaction

from core import frontend
from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.history import save_with_history
from core.models import User


@transaction.atomic
def user_change_language(*, actor: User, language: str) -> User:
    """The front-end language of `actor`: one of FRONTEND_LANGUAGES."""
    offered = frontend.language_codes()
    if language not in offered:
        raise DomainError(CoreErrorCode.INVALID, f"language must be one of {', '.join(offered)}, got {language!r}",
                          "languageId")
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.language != language:
        user.language = language
        save_with_history(user, actor=actor, reason="user_change_language")
    return user
