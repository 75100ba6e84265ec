from django.db import models


class OrderKind(models.TextChoices):
    """What a déclarant orders: a death notice publication and its options."""

    DEATH_NOTICE = "death_notice", "Avis de décès"
    NOTICE_PHOTO = "notice_photo", "Option photo"
    NOTICE_FRAME = "notice_frame", "Option cadre / mise en valeur"
    NOTICE_PRINT = "notice_print", "Parution presse"
    THANKS_NOTICE = "thanks_notice", "Remerciements"
    ANNIVERSARY = "anniversary", "Avis anniversaire"
