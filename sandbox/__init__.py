"""A local stand-in for the Telegram Bot API, with a test API, a test client and a chat page."""
