"""Comparison of two complaints' facts: what sets them apart, what ties them together."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from rapidfuzz.fuzz import ratio

from normalizer.facts import vocabulary as v
from normalizer.facts.model import Facts

_ID_KINDS = ("nik", "kk", "npwp", "bpjs", "pelanggan", "plat")
#: place kinds a differing value of which is a conflict; rt is handled apart (see conflicts)
_PLACE_KINDS = ("jalan", "gang", "dusun", "desa", "kecamatan", "kabupaten", "kota", "provinsi")
#: place kinds that locate a problem below the kecamatan: shared, they point at one spot
_LOCAL_KINDS = ("jalan", "gang", "dusun", "desa")


@lru_cache(maxsize=16384)
def _by_kind(values: frozenset[str]) -> Mapping[str, frozenset[str]]:
    """Values grouped by kind, prefix removed; a landmark's kind is its institution
    ("landmark:sdn" -> {"3 cibinong"}), so only schools are compared with schools.

    Cached: level 3 compares one report's facts with many candidates' in a row."""
    out: dict[str, set[str]] = {}
    for value in values:
        kind, _, rest = value.partition(":")
        if kind == "landmark":
            default = rest.partition(" ")[0]  # a value from an older vocabulary
            head = next((k for k in _LANDMARK_ORDER if rest.startswith(k + " ")), default)
            kind, rest = f"landmark:{head}", rest[len(head) + 1 :]
        out.setdefault(kind, set()).add(rest)
    return MappingProxyType({kind: frozenset(found) for kind, found in out.items()})


_LANDMARK_ORDER = sorted(v.LANDMARK_ALIASES, key=len, reverse=True)  # "kantor desa" first


def _prefix_match(x: str, y: str) -> str | None:
    """The shorter of two names when one's words begin the other's ("sukamaju" and
    "sukamaju indah"): a name cut short by extraction is not another name."""
    xs, ys = x.split(), y.split()
    short, long_ = (xs, ys) if len(xs) <= len(ys) else (ys, xs)
    return " ".join(short) if long_[: len(short)] == short else None


#: words that many place names share and that therefore do not tie two names together
_GENERIC = frozenset(
    """
    raya baru lama utara selatan barat timur tengah indah jaya makmur sari kidul kulon wetan
    lor asri permai mulya mulia agung besar kecil negeri swasta umum daerah kota kabupaten
    """.split()
)


def _place_match(x: str, y: str) -> str | None:
    """The shorter of two place names that name one place: one begins the other, they are
    one spelling apart ("bandar klipa"/"bandar klippa", "ap pettarani"/"a p pettarani"), or
    they share a distinctive word ("mekarsari mnt"/"mekarsari mnta": extraction runs into the
    next word). Numbered places (SDN 3, gang 5) with other numbers never agree."""
    nx, ny = _digits(x), _digits(y)
    if nx and ny and nx != ny:
        return None
    shorter = x if len(x) <= len(y) else y
    if _prefix_match(x, y) is not None:
        return shorter
    gx, gy = x.replace(" ", ""), y.replace(" ", "")
    if gx.startswith(gy) or gy.startswith(gx) or ratio(gx, gy) >= 85:
        return shorter
    words_x = {w for w in x.split() if len(w) >= 4 and w not in _GENERIC and not w.isdigit()}
    words_y = {w for w in y.split() if len(w) >= 4 and w not in _GENERIC and not w.isdigit()}
    return shorter if words_x & words_y else None


def _digits(name: str) -> frozenset[str]:
    return frozenset(w.lstrip("0") for w in name.split() if w.isdigit())


def _subset_match(x: str, y: str) -> str | None:
    """The shorter of two person names when its words all occur in the other ("siti" and
    "siti aminah", "aminah" and "siti aminah")."""
    xs, ys = set(x.split()), set(y.split())
    short, value = (xs, x) if len(xs) <= len(ys) else (ys, y)
    return value if short <= (ys if short is xs else xs) else None


def _matches(
    xs: Iterable[str], ys: Iterable[str], match: Callable[[str, str], str | None]
) -> set[str]:
    ys = list(ys)
    return {m for x in xs for y in ys if (m := match(x, y)) is not None}


def conflicts(a: Facts, b: Facts) -> list[str]:
    """Kinds where *a* and *b* both name values and none of them agree: the two reports are
    about different things. Compared, each only when both sides have a value:

    * every id kind (``nik``, ``kk``, ``npwp``, ``bpjs``, ``pelanggan``, ``plat``): equality;
    * ``name``: a name whose words all occur in the other agrees ("siti", "siti aminah");
    * ``jalan``, ``gang``, ``dusun``, ``desa``, ``kecamatan``, ``kabupaten``, ``kota``,
      ``provinsi`` and landmarks: names agree when one begins the other ("merdeka",
      "merdeka raya"), when they are a spelling apart, or when they share a distinctive
      word (see :func:`_place_match`); other numbers never agree (SDN 3, SDN 5);
    * ``rw``: equality; ``rt`` only when both name the same RW (RT numbers repeat in every
      RW, so RT 2 and RT 3 alone may be one street of two RWs);
    * ``landmark``: per institution (SDN vs SDN, pasar vs pasar): a flood reported "dekat
      pasar" and "depan SDN 3" is one flood;
    * ``agency``: per family of comparable offices (Polsek/Polres/Polda, PDAM/PLN,
      Puskesmas/RSUD, the dinas, the desa/kecamatan office), so a complaint mentioning where
      it was reported is not thereby about another office;
    * ``document`` and ``amount``: equality. Two citizens quoting different sums for one
      office's levy do conflict: callers linking different reporters may ignore ``amount``.

    RT and RW are read wherever they occur, a sign-off's "ketua rt 02" included: a writer's
    own RT is usually where the problem is.
    """
    out: list[str] = []
    ids_a, ids_b = _by_kind(a.ids), _by_kind(b.ids)
    out += [k for k in _ID_KINDS if ids_a.get(k) and ids_b.get(k) and not ids_a[k] & ids_b[k]]
    if a.names and b.names and not _matches(a.names, b.names, _subset_match):
        out.append("name")
    pa, pb = _by_kind(a.places), _by_kind(b.places)
    for kind in _PLACE_KINDS:
        if pa.get(kind) and pb.get(kind) and not _matches(pa[kind], pb[kind], _place_match):
            out.append(kind)
    rw_a, rw_b = pa.get("rw", frozenset[str]()), pb.get("rw", frozenset[str]())
    if pa.get("rt") and pb.get("rt") and rw_a & rw_b and not pa["rt"] & pb["rt"]:
        out.append("rt")
    if rw_a and rw_b and not rw_a & rw_b:
        out.append("rw")
    landmarks = [k for k in pa if k.startswith("landmark:") and k in pb]
    if any(not _matches(pa[k], pb[k], _place_match) for k in landmarks):
        out.append("landmark")
    for family in v.AGENCY_FAMILIES:
        fa, fb = a.agencies & family, b.agencies & family
        if fa and fb and not fa & fb:
            out.append("agency")
            break
    if a.documents and b.documents and not a.documents & b.documents:
        out.append("document")
    if a.amounts and b.amounts and not a.amounts & b.amounts:
        out.append("amount")
    return out


def shared_specific(a: Facts, b: Facts) -> list[str]:
    """Specific values *a* and *b* share, kind-prefixed and sorted: ids, names (``name:``),
    jalan, gang, dusun, desa and landmarks (a cut-short name counts as the same, see
    :func:`conflicts`). RT and RW are added only beside a shared jalan, gang, dusun or desa:
    every desa has an RT 2."""
    out = {f"name:{m}" for m in _matches(a.names, b.names, _subset_match)}
    out |= a.ids & b.ids
    pa, pb = _by_kind(a.places), _by_kind(b.places)
    for kind in pa.keys() & pb.keys():
        if kind.startswith("landmark:"):
            out |= {f"{kind} {m}" for m in _matches(pa[kind], pb[kind], _place_match)}
        elif kind in _LOCAL_KINDS:
            out |= {f"{kind}:{m}" for m in _matches(pa[kind], pb[kind], _place_match)}
    if any(k in pa and k in pb and _matches(pa[k], pb[k], _place_match) for k in _LOCAL_KINDS):
        for kind in ("rt", "rw"):
            out |= {f"{kind}:{n}" for n in pa.get(kind, set()) & pb.get(kind, set())}
    return sorted(out)
