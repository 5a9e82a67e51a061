"""Fixtures of the Telegram adapter tests (defined in tg_harness.py, registered here)."""

from tg_harness import bot_api, db, make_adapter  # noqa: F401
