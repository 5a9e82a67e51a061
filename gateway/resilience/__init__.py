"""The resilience kit: the mechanisms every door, the outbox and the store share instead of
each writing its own.

* :mod:`.backoff`: retry delays built from tenacity's wait strategies.

Nothing here imports the rest of the project, so the core, the outbox and every adapter may
use it.
"""
