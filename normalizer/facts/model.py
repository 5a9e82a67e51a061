"""The facts of one complaint, as :func:`normalizer.facts.extract_facts` returns them."""

from __future__ import annotations

from collections.abc import Iterable
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

    def tokens(self) -> list[str]:
        """Every fact as one string ``field<US>value`` (``"places\x1frt:2"``): a form that
        can be interned and stored as a plain token, e.g. by the level-3 index."""
        out = [f"ids{FIELD_SEP}{v}" for v in self.ids]
        out += [f"names{FIELD_SEP}{v}" for v in self.names]
        out += [f"places{FIELD_SEP}{v}" for v in self.places]
        out += [f"agencies{FIELD_SEP}{v}" for v in self.agencies]
        out += [f"documents{FIELD_SEP}{v}" for v in self.documents]
        out += [f"amounts{FIELD_SEP}{v}" for v in self.amounts]
        return out

    @classmethod
    def from_tokens(cls, tokens: Iterable[str]) -> Facts:
        """The inverse of :meth:`tokens` (an absent kind is CPython's one empty frozenset,
        which matters for an index holding a million of these)."""
        grouped: dict[str, set[str]] = {}
        for token in tokens:
            field, _, value = token.partition(FIELD_SEP)
            grouped.setdefault(field, set()).add(value)
        return cls(
            ids=frozenset(grouped.get("ids", ())),
            names=frozenset(grouped.get("names", ())),
            places=frozenset(grouped.get("places", ())),
            agencies=frozenset(grouped.get("agencies", ())),
            documents=frozenset(grouped.get("documents", ())),
            amounts=frozenset(int(v) for v in grouped.get("amounts", ())),
        )


#: separates a fact's field from its value in :meth:`Facts.tokens` (ASCII unit separator:
#: never in complaint text)
FIELD_SEP = "\x1f"
