"""The facts of one complaint, as :func:`normalizer.facts.extract_facts` returns them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Facts:
    """Kind-prefixed facts of one complaint (see :mod:`normalizer.facts` for each kind).

    ``ids`` and ``places`` hold ``"kind:value"`` strings (``"nik:3216..."``, ``"rt:2"``,
    ``"landmark:sdn 3 cibinong"``); ``names``, ``agencies`` and ``documents`` hold canonical
    lower-case values; ``amounts`` holds rupiah.
    """

    ids: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()
    amounts: frozenset[int] = frozenset()
