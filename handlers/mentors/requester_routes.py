"""The student's and teacher's command and buttons: /mentor and rq:*.

Flows (users.flow; data in users.flow_data):
    rq.field → rq.mode → rq.times → rq.question → rq.confirm
        {"f": field, "m": mode, "t": [time codes], "q": question}
    rq.comment {"r": request}           a comment after rating
Callback data: rq:n new · rq:f:I:TAG a field (its place in storage.mentors.vocabulary, and
handlers.mentors.field_tag of its name) · rq:fa:P all fields · rq:m:MODE · rq:tt:CODE toggle
a time · rq:ta any time · rq:tn next · rq:ok send · rq:no drop · rq:l my requests · rq:v:R
one · rq:x:R cancel? · rq:xy:R cancel! · rq:r:R:N rate · rq:cs no comment · rq:s:P the
students' requests · rq:p:R:P priority on/off · rq:g group sessions · rq:gj:M join one.
Every id is checked against the pressing user.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import callback_parts, requires, route_button, stale_button
from handlers.mentors.asking import (
    all_fields,
    drop_pressed,
    field_chosen,
    mode_chosen,
    new_pressed,
    send_pressed,
    time_toggled,
    times_done,
)
from handlers.mentors.home import home_pressed, mentor_command
from handlers.mentors.request import (
    cancel_now,
    cancel_pressed,
    rate_pressed,
    skip_comment,
    view_pressed,
)
from handlers.mentors.teachers import groups_pressed, join_pressed, priority_pressed, students_page
from storage.models import Role

BUTTONS = {
    "n": (new_pressed, 0),
    "f": (field_chosen, 2),
    "fa": (all_fields, 1),
    "ta": (lambda u, c: times_done(u, c, any_time=True), 0),
    "tn": (lambda u, c: times_done(u, c, any_time=False), 0),
    "ok": (send_pressed, 0),
    "no": (drop_pressed, 0),
    "l": (home_pressed, 0),
    "v": (view_pressed, 1),
    "x": (cancel_pressed, 1),
    "xy": (cancel_now, 1),
    "r": (rate_pressed, 2),
    "cs": (skip_comment, 0),
    "s": (students_page, 1),
    "p": (priority_pressed, 2),
    "g": (groups_pressed, 0),
    "gj": (join_pressed, 1),
}


@requires(Role.STUDENT, Role.TEACHER)
async def on_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if context.user.school_id is None:
        await stale_button(update, context)
        return
    if len(parts) == 3 and parts[1] == "m":
        await mode_chosen(update, context, parts[2])
        return
    if len(parts) == 3 and parts[1] == "tt":
        await time_toggled(update, context, parts[2])
        return
    await route_button(update, context, BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("mentor", mentor_command),
        CallbackQueryHandler(on_button, pattern=r"^rq:"),
    ]
