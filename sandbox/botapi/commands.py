"""Bot API methods for the command menu and the menu button, and the menu a user sees."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sandbox.botapi.common import Params, api_method, bad_request
from sandbox.botapi.params import _chat, _object, _present
from sandbox.state import BotState

if TYPE_CHECKING:
    from sandbox.server.core import Sandbox

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")
_SCOPES_WITHOUT_CHAT = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
}


def _scope_key(sb: Sandbox, bot: BotState, p: Params) -> str:
    """A BotCommandScope as a dictionary key: "default", "chat:42", "chat_member:42:7"."""
    scope = _object(p, "scope", dict, "can't parse BotCommandScope JSON object")
    if scope is None:
        return "default"
    kind = scope.get("type")
    if kind in _SCOPES_WITHOUT_CHAT:
        return kind
    if kind not in ("chat", "chat_administrators", "chat_member"):
        raise bad_request("can't parse BotCommandScope JSON object")
    chat_id = scope.get("chat_id")
    if not isinstance(chat_id, int) or (chat_id not in bot.chats and chat_id not in sb.users):
        raise bad_request("chat not found")
    if kind != "chat_member":
        return f"{kind}:{chat_id}"
    user_id = scope.get("user_id")
    if not isinstance(user_id, int):
        raise bad_request("user not found")
    return f"chat_member:{chat_id}:{user_id}"


def _language(p: Params) -> str:
    language = str(p.get("language_code") or "")
    if not _LANGUAGE_CODE.fullmatch(language):
        raise bad_request("invalid language code specified")
    return language


def menu_for(bot: BotState, chat_id: int, language: str | None) -> list[dict]:
    """The command menu a private chat's user sees, resolved as Telegram documents it."""
    candidates = [f"chat:{chat_id}", "all_private_chats", "default"]
    for scope in candidates:
        for key in ((scope, language or ""), (scope, "")):
            if key in bot.commands:
                return bot.commands[key]
    return []


@api_method("setMyCommands")
async def set_my_commands(sb: Sandbox, bot: BotState, p: Params) -> bool:
    commands = _object(p, "commands", list, "can't parse commands JSON object") or []
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    menu = []
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        menu.append({"command": command["command"], "description": description})
    key = (_scope_key(sb, bot, p), _language(p))
    if menu:
        bot.commands[key] = menu
    else:
        bot.commands.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(sb: Sandbox, bot: BotState, p: Params) -> list[dict]:
    return bot.commands.get((_scope_key(sb, bot, p), _language(p)), [])


@api_method("deleteMyCommands")
async def delete_my_commands(sb: Sandbox, bot: BotState, p: Params) -> bool:
    bot.commands.pop((_scope_key(sb, bot, p), _language(p)), None)
    return True


@api_method("setChatMenuButton")
async def set_chat_menu_button(sb: Sandbox, bot: BotState, p: Params) -> bool:
    button = _object(p, "menu_button", dict, "can't parse menu button JSON object")
    if button is not None and button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    if _present(p, "chat_id") is None:
        bot.default_menu_button = button
    else:
        _chat(sb, bot, p).menu_button = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(sb: Sandbox, bot: BotState, p: Params) -> dict:
    button = _chat(sb, bot, p).menu_button if _present(p, "chat_id") is not None else None
    return button or bot.default_menu_button or {"type": "commands"}
