"""The resilience kit: the mechanisms every door, the outbox and the store share instead of
each writing its own.

* :mod:`.backoff`: retry delays built from tenacity's wait strategies.
* :mod:`.bucket`: a token bucket, and a table of them keyed by sender, client or channel.
* :mod:`.errors`: which HTTP answers and transport failures are worth retrying, and
  ``Retry-After``.
* :mod:`.periodic`: interval jobs, one asyncio task each.

Nothing here imports the rest of the project, so the core, the outbox and every adapter may
use it.
"""
