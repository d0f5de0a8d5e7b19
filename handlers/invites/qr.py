"""An invite link as a QR code (PNG), for the letters staff print for schools and sites:
scanning it with a phone's camera opens the invite in Telegram."""

from __future__ import annotations

import io

import segno
from telegram import InputFile, Update

from bot.context import JinroContext
from handlers.common.filenames import file_name
from messages import render


def qr_png(link: str) -> bytes:
    """The link as a QR code: error correction M (a creased or smudged letter still scans),
    8 pixels a module and the standard 4-module quiet zone, so it prints sharp."""
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


async def send_qr(update: Update, context: JinroContext, link: str, name: str) -> None:
    """`name`: what the printed letter is for ("Invite for 정발중학교"), the image's file name."""
    caption = render("invites/qr", context.lang)
    await update.effective_chat.send_photo(
        InputFile(qr_png(link), filename=file_name(name, ext="png")), caption=caption
    )
