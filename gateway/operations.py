"""Operator actions on the outbox, one implementation for every front end: the CLI
(``lapor-gateway outbox replay|release``) and the console (:mod:`gateway.console`).

Both end in the store's own commands (:meth:`OutboxStore.replay`,
:meth:`HeldRows.release_held`); what lives here is the check an operator expects before
a replay: every row named must be a dead letter, or nothing is replayed.
"""

from __future__ import annotations

from gateway.store.interfaces import OutboxStore
from outbox.jobs import OutboxState


class NotReplayableError(Exception):
    """Some named rows are missing or not dead letters; ``problems`` says which, one line
    each (``outbox 7: not a dead letter (state pending)``). Nothing was replayed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


async def replay_dead_letters(store: OutboxStore, ids: list[int] | None) -> int:
    """Make the dead rows *ids* (None: every dead row) pending again with no attempts spent;
    returns how many. Raises :class:`NotReplayableError` when a named row is not dead."""
    if ids is not None:
        states = await store.outbox_states(ids)
        problems = [
            f"outbox {i}: no such row"
            if i not in states
            else f"outbox {i}: not a dead letter (state {states[i]})"
            for i in ids
            if states.get(i) != OutboxState.DEAD
        ]
        if problems:
            raise NotReplayableError(problems)
    return await store.replay(ids)
