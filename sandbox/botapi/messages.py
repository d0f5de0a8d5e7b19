"""Bot API methods on messages: send, edit, delete, callback answers, chat actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.botapi.common import (
    MAX_CALLBACK_ANSWER,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    Params,
    api_method,
    bad_request,
)
from sandbox.botapi.params import (
    _acted,
    _bool,
    _chat,
    _editable,
    _formatted,
    _inline_markup,
    _message_event,
    _message_id,
    _object,
    _present,
    _reply_markup,
    _reply_to,
    _send,
)
from sandbox.state import BotState, Chat, StoredMessage

if TYPE_CHECKING:
    from sandbox.server.core import Sandbox

_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


@api_method("sendMessage")
async def send_message(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat = _chat(sb, bot, p)
    text, entities = _formatted(p, "text")
    markup = _reply_markup(p)
    link_preview = _object(
        p, "link_preview_options", dict, "can't parse link preview options JSON object"
    )
    content = {"text": text, "entities": entities, "link_preview_options": link_preview}
    return _send(bot, "sendMessage", chat, p, markup, reply_to=_reply_to(chat, p), **content)


def _check_modified(message: StoredMessage, content: tuple, markup: dict | None) -> None:
    current = (message.text, message.entities, message.caption, message.caption_entities)
    if content == current and markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)


def _edited(
    bot: BotState, method: str, chat: Chat, message: StoredMessage, markup: dict | None
) -> dict:
    """The message edited by `method` to `markup` (its new content already set): recorded as
    an event, answered as the Message."""
    # An edit without reply_markup removes the inline keyboard (as in Telegram); a reply
    # keyboard the message was sent with is the client's business and stays.
    if markup is not None or _inline_markup(message) is not None:
        message.reply_markup = markup
    message.edited()
    _message_event(bot, method, chat, message)
    return bot.message_api(chat, message)


@api_method("editMessageText")
async def edit_message_text(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat, message = _editable(sb, bot, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = _formatted(p, "text")
    markup = _reply_markup(p, inline_only=True)
    _check_modified(message, (text, entities, None, []), markup)
    message.text, message.entities = text, entities
    return _edited(bot, "editMessageText", chat, message, markup)


@api_method("editMessageCaption")
async def edit_message_caption(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat, message = _editable(sb, bot, p)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption, caption_entities = _formatted(p, "caption")
    markup = _reply_markup(p, inline_only=True)
    _check_modified(message, (None, [], caption, caption_entities), markup)
    message.caption, message.caption_entities = caption, caption_entities
    return _edited(bot, "editMessageCaption", chat, message, markup)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat, message = _editable(sb, bot, p)
    markup = _reply_markup(p, inline_only=True)
    if markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    return _edited(bot, "editMessageReplyMarkup", chat, message, markup)


@api_method("deleteMessage")
async def delete_message(sb: Sandbox, bot: BotState, p: Params) -> bool:
    chat = _chat(sb, bot, p)
    message = chat.messages.get(_message_id(p))
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    _acted(bot, "deleteMessage", chat, message_id=message.message_id)
    return True


@api_method("answerCallbackQuery")
async def answer_callback_query(sb: Sandbox, bot: BotState, p: Params) -> bool:
    query_id = str(p.get("callback_query_id") or "")
    record = bot.callbacks.get(query_id)
    if record is None or record.answered:
        raise bad_request(QUERY_TOO_OLD)
    text = _present(p, "text")
    if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    answer = {
        "callback_query_id": query_id,
        "update_id": record.update_id,
        "message_id": record.message_id,
        "text": text,
        "show_alert": _bool(p, "show_alert"),
        "url": _present(p, "url"),
    }
    chat = bot.chats[record.chat_id]
    chat.callback_answers.append(answer)
    _acted(
        bot,
        "answerCallbackQuery",
        chat,
        exact_update_id=record.update_id,
        message_id=record.message_id,
        callback_query_id=query_id,
        text=text,
        show_alert=answer["show_alert"],
    )
    return True


@api_method("sendChatAction")
async def send_chat_action(sb: Sandbox, bot: BotState, p: Params) -> bool:
    chat = _chat(sb, bot, p)
    action = p.get("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    _acted(bot, "sendChatAction", chat, answers=False, action=action)
    return True


@api_method("getChat")
async def get_chat(sb: Sandbox, bot: BotState, p: Params) -> dict:
    chat = _chat(sb, bot, p)
    return {**chat.user.chat_api(), "accent_color_id": 0, "max_reaction_count": 11}
