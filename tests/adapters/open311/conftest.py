"""Fixtures for the Open311 adapter tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.open311.open311_support import OPEN311
from tests.conftest import GatewayHarness


@pytest.fixture
async def o311(gateway_factory: Any, config_factory: Any) -> GatewayHarness:
    h: GatewayHarness = await gateway_factory(config_factory({"adapters": {"open311": OPEN311}}))
    return h
