"""Fixtures of the WhatsApp door tests (defined in wa_harness.py, registered here)."""

from wa_harness import db, graph  # noqa: F401
