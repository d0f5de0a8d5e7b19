"""Domain storage: models, migrations and transactional operations; knows nothing of Telegram."""
