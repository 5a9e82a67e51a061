"""The console's audit log: one JSON line per login attempt and per action.

``<data_dir>/console-audit.jsonl``, append-only: ``at`` (UTC, ISO 8601), ``operator`` (the
name typed at a failed login), ``action``, ``target`` (outbox IDs, tracking IDs, ``all``),
``outcome`` (``ok``, ``refused``, ``locked``...), ``source`` (client address) and, for
actions, ``count`` (rows changed). Never a password, never citizen data: a held sender is
written as the tracking IDs released. Each line is flushed and fsynced before the action's
answer, so what an operator did is on disk even if the process dies right after.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_NAME = "console-audit.jsonl"


class AuditLog:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        self._lock = asyncio.Lock()

    async def write(
        self,
        *,
        operator: str | None,
        action: str,
        outcome: str,
        source: str,
        target: str | None = None,
        **extra: Any,
    ) -> None:
        entry = {
            "at": datetime.now(UTC).isoformat(),
            "operator": operator,
            "action": action,
            "target": target,
            "outcome": outcome,
            "source": source,
            **extra,
        }
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        async with self._lock:
            await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def read(self) -> list[dict[str, Any]]:
        """Every entry, oldest first (tests and the operator's own tools)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
