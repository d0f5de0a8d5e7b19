"""Privacy (PIPA Art. 35 and 36): what the bot keeps about a person, and erasing it.

/mydata: anyone sees what is kept about them (mydata.py). /deleteme: anyone erases
themselves, a guardian their own data or a child's (deleteme.py). /erase: staff erase
someone on a request made to them in writing (staff.py). What the erasures share, the
erasure with whom it concerns and telling them, is in common.py; the buttons in buttons.py.
Importing the modules here binds their buttons' handlers.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

from handlers.common import text_step
from handlers.privacy import deleteme, mydata, staff
from handlers.privacy.buttons import CHILD_FLOW, CONFIRM_FLOW, SEARCH_FLOW, SURE_FLOW, WHOSE_FLOW

text_step(SEARCH_FLOW, SURE_FLOW)(staff.name_typed)
text_step(WHOSE_FLOW, CONFIRM_FLOW, CHILD_FLOW)(deleteme.still_open)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("mydata", mydata.mydata),
        CommandHandler("deleteme", deleteme.deleteme),
        CommandHandler("erase", staff.erase_command),
    ]
