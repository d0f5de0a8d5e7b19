"""Telegram-facing handlers, one module per conversation area."""
