"""The buttons of a teacher booking seats for a class (cb:…). Search cards pack NEW."""

from __future__ import annotations

from handlers.common.buttons import ID, Buttons
from storage.models import Role

CLASSBOOK = Buttons("cb", roles=(Role.TEACHER,))
NEW = CLASSBOOK.action("new", ID)  # book seats of this session for a class
