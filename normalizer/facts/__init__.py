"""Discriminating facts in a complaint's text: what tells two similar complaints apart.

Word similarity cannot tell "bantuan PKH a.n. Siti Aminah NIK 3216..." from the same template
about another recipient, nor "SIM di Satlantas Polres Bogor dipungut 50rb" from "SKCK di
Polsek Cileungsi dipungut 50rb". Duplicate detection therefore compares *facts* first:

* ``ids`` -- NIK/KK, NPWP, BPJS card, PLN/PDAM customer and vehicle plate numbers. Another
  number of the same kind means another person, account or vehicle: another complaint.
* ``names`` -- the person a complaint is about ("a.n.", "atas nama", "nama penerima").
  Another name means another recipient. A writer introducing themself ("nama saya ...", a
  "Nama:" form line) is the reporter, not the subject, and is not taken.
* ``places`` -- jalan, gang, RT, RW, desa/kelurahan, dusun/kampung, kecamatan, kabupaten,
  kota, provinsi and named landmarks (SDN 3 Cibinong, Puskesmas Cileungsi, Polsek ...).
  Another kelurahan or another school is another problem; the same street or landmark named
  by several citizens is strong evidence of one local problem.
* ``agencies`` and ``documents`` -- the office complained about and the service asked for.
  A SIM at Satlantas and an SKCK at a Polsek are two complaints however alike the words.
* ``amounts`` -- rupiah figures, written any way citizens write them ("Rp 780.000",
  "780rb", "1,5 jt"), so a formal re-send and its SMS shorthand share the figure.

IDs and places carry their kind (``"nik:3216..."``, ``"desa:sukamaju"``,
``"landmark:sdn 3 cibinong"``) so that only values of one kind are ever compared; names,
agencies and documents are canonical lower-case words (the vocabularies are the keys of the
tables in :mod:`normalizer.facts.vocabulary`). :func:`conflicts` says which kinds two
complaints disagree on and :func:`shared_specific` which specific values they share; their
docstrings list exactly what is compared.

Extraction is pure, deterministic and pattern-driven: a miss only costs evidence while an
invented fact can split one complaint in two, so every rule prefers missing a fact. Known
consequences: a sign-off's "ketua rt 02" gives ``rt:2`` (usually where the problem is), and
an address or NIK in a letter's header is extracted like any other, so a writer's own address
is shared by all their complaints; lower-case plates count only after a vehicle word, and
place names are cut at common words ("Pasar Minggu" reads as no landmark).
"""

from normalizer.facts.compare import conflicts, shared_specific
from normalizer.facts.extract import extract_facts
from normalizer.facts.model import Facts

__all__ = ["Facts", "conflicts", "extract_facts", "shared_specific"]
