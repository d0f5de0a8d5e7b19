"""Shared pieces of the sandbox's own tests: a sandbox, a PTB Bot and a test client on it,
and a small real bot polling the sandbox through PTB (with the user who talks to it)."""

from __future__ import annotations

from html import escape

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from sandbox.client import SandboxClient, SandboxUser
from sandbox.server import RunningSandbox, start_sandbox

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
MINJI = {"id": 5, "first_name": "민지", "last_name": "김", "language_code": "ko"}


@pytest.fixture
async def sandbox() -> RunningSandbox:
    running = await start_sandbox(port=0, token=TOKEN)
    yield running
    await running.stop()


@pytest.fixture
async def bot(sandbox: RunningSandbox) -> Bot:
    async with Bot(TOKEN, base_url=sandbox.api_base, base_file_url=sandbox.file_base) as bot:
        yield bot


@pytest.fixture
async def client(sandbox: RunningSandbox) -> SandboxClient:
    async with SandboxClient(sandbox.url, token=TOKEN) as client:
        yield client


async def write(client: SandboxClient, text: str, user: dict = MINJI) -> dict:
    """A user message through the test API, without waiting for any answer."""
    return await client.request("POST", "/sandbox/message", {"user": user, "text": text})


# A small real bot, polling the sandbox through PTB ------------------------------------------


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("좋아요 👍", callback_data="like")],
            [InlineKeyboardButton("누리집", url="https://example.org")],
        ]
    )
    name = escape(update.effective_user.first_name)
    await update.message.reply_html(f"안녕하세요, <b>{name}</b>님!", reply_markup=keyboard)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_html(f"echo: {escape(update.message.text)}")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await update.message.document.get_file()
    content = await file.download_as_bytearray()
    await update.message.reply_text(f"받은 파일 {len(content)} bytes: {content.decode()}")


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query.data != "like":
        await query.answer("만료된 버튼이에요", show_alert=True)
        return
    await query.edit_message_text("좋아요를 눌렀어요")
    await query.answer("고마워요")


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query.query
    content = InputTextMessageContent(f"검색: {query}")
    await update.inline_query.answer([InlineQueryResultArticle("1", query, content)])


@pytest.fixture
async def echo_bot(sandbox: RunningSandbox) -> Application:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(sandbox.api_base)
        .base_file_url(sandbox.file_base)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(CallbackQueryHandler(on_press))
    app.add_handler(InlineQueryHandler(on_inline))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        yield app
        await app.updater.stop()
        await app.stop()


@pytest.fixture
async def minji(client: SandboxClient, echo_bot: Application) -> SandboxUser:
    return client.user(5, "민지", "김")
