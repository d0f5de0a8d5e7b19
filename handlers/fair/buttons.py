"""The buttons of a session's fair opening, for its site and staff (fo:…). Search cards
pack SETTINGS."""

from __future__ import annotations

from handlers.common.buttons import ID, Buttons
from storage.models import Role

FAIR = Buttons("fo", roles=(Role.STAFF,))
SETTINGS = FAIR.action("s", ID)  # the session's fair-opening settings
