"""Bot API methods for files: sendDocument, sendPhoto and getFile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp.web import FileField

from sandbox.botapi.common import Params, api_method, bad_request
from sandbox.botapi.params import _chat, _formatted, _present, _reply_markup, _reply_to, _send
from sandbox.files import StoredFile, image_size
from sandbox.state import BotState

if TYPE_CHECKING:
    from sandbox.server.core import Sandbox


def _upload(sb: Sandbox, p: Params, field: str, kind: str) -> StoredFile:
    value = _present(p, field)
    if value is None:
        raise bad_request(f"there is no {field} in the request")
    if isinstance(value, FileField):
        data = value.file.read()
        if not data:
            raise bad_request("file must be non-empty")
        return sb.files.add(data, kind, value.filename, value.content_type)
    stored = sb.files.get(str(value))
    if stored is None:
        # Also for URLs: the sandbox never fetches from the internet.
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


async def _send_file(sb: Sandbox, bot: BotState, p: Params, method: str, field: str) -> dict:
    chat = _chat(sb, bot, p)
    caption, caption_entities = _formatted(p, "caption")
    markup = _reply_markup(p)
    reply_to = _reply_to(chat, p)
    if field == "photo":
        stored = _upload(sb, p, field, "photos")
        size = image_size(stored.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        media = {"photo": [_photo_size(stored, size)]}
    else:
        stored = _upload(sb, p, field, "documents")
        media = {"document": _document(stored)}
    content = {"caption": caption, "caption_entities": caption_entities, **media}
    return _send(bot, method, chat, p, markup, reply_to=reply_to, **content)


def _document(stored: StoredFile) -> dict:
    document = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "mime_type": stored.mime_type,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    return document


def _photo_size(stored: StoredFile, size: tuple[int, int]) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": size[0],
        "height": size[1],
        "file_size": len(stored.data),
    }


@api_method("sendDocument")
async def send_document(sb: Sandbox, bot: BotState, p: Params) -> dict:
    return await _send_file(sb, bot, p, "sendDocument", "document")


@api_method("sendPhoto")
async def send_photo(sb: Sandbox, bot: BotState, p: Params) -> dict:
    return await _send_file(sb, bot, p, "sendPhoto", "photo")


@api_method("getFile")
async def get_file(sb: Sandbox, bot: BotState, p: Params) -> dict:
    stored = sb.files.get(str(p.get("file_id") or ""))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.api()
