"""Fixtures of the X adapter tests (defined in x_harness.py, registered here)."""

from x_harness import db, fake_x, make_adapter  # noqa: F401
