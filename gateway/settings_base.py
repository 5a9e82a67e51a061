"""Base class for every config model: unknown keys are errors, not silently ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    """Strict config section: unknown keys rejected so a typo never disables a feature."""

    model_config = ConfigDict(extra="forbid", frozen=True)
