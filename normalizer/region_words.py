"""The words around place names in complaints, for :mod:`normalizer.regions`.

Which words introduce a region name and at which level ("kel.", "kec", "kab"), the
shorthand citizens write for regions ("bdg", "jogja", "ntt"), the kabupaten/kota names that
are also ordinary words (they count only after a marker), and the street words that make a
following place name part of a street's name.
"""

from __future__ import annotations

# rank of a mention: the depth of the code it names (provinsi 0 ... desa 3)
PROV, KABKOTA, KEC, DESA = 0, 1, 2, 3

#: a marker word -> (rank of the names it introduces, "kab"/"kota" filter or "")
MARKERS: dict[str, tuple[int, str]] = {
    "desa": (DESA, ""),
    "ds": (DESA, ""),
    "kelurahan": (DESA, ""),
    "kel": (DESA, ""),
    "kelurhan": (DESA, ""),
    "gampong": (DESA, ""),
    "nagari": (DESA, ""),
    "kecamatan": (KEC, ""),
    "kec": (KEC, ""),
    "kcm": (KEC, ""),
    "distrik": (KEC, ""),
    "kabupaten": (KABKOTA, "kab"),
    "kab": (KABKOTA, "kab"),
    "kabupatn": (KABKOTA, "kab"),
    "kota": (KABKOTA, "kota"),
    "kotamadya": (KABKOTA, "kota"),
    "kodya": (KABKOTA, "kota"),
    "provinsi": (PROV, ""),
    "propinsi": (PROV, ""),
    "prov": (PROV, ""),
}

#: shorthand -> the compact name it stands for (used with and without a marker)
ALIASES: dict[str, str] = {
    # city codes and nicknames
    "jkt": "jakarta",
    "bdg": "bandung",
    "sby": "surabaya",
    "bgr": "bogor",
    "mlg": "malang",
    "smg": "semarang",
    "jogja": "yogyakarta",
    "jogjakarta": "yogyakarta",
    "yogya": "yogyakarta",
    "yogyakarta": "yogyakarta",
    "mks": "makassar",
    "mdn": "medan",
    "plg": "palembang",
    "bks": "bekasi",
    "dpk": "depok",
    "tng": "tangerang",
    "tangsel": "tangerangselatan",
    "jaksel": "jakartaselatan",
    "jakbar": "jakartabarat",
    "jaktim": "jakartatimur",
    "jakut": "jakartautara",
    "jakpus": "jakartapusat",
    "solo": "surakarta",
    "sitaro": "kepsiautagulandangbiaro",
    # provinces
    "dki": "jakarta",
    "dkijakarta": "jakarta",
    "diy": "yogyakarta",
    "diyogyakarta": "yogyakarta",
    "jabar": "jawabarat",
    "jateng": "jawatengah",
    "jatim": "jawatimur",
    "sumut": "sumaterautara",
    "sumbar": "sumaterabarat",
    "sumsel": "sumateraselatan",
    "sumatrautara": "sumaterautara",
    "sumatrabarat": "sumaterabarat",
    "sumatraselatan": "sumateraselatan",
    "kalbar": "kalimantanbarat",
    "kalteng": "kalimantantengah",
    "kalsel": "kalimantanselatan",
    "kaltim": "kalimantantimur",
    "kaltara": "kalimantanutara",
    "sulut": "sulawesiutara",
    "sulteng": "sulawesitengah",
    "sulsel": "sulawesiselatan",
    "sultra": "sulawesitenggara",
    "sulbar": "sulawesibarat",
    "ntb": "nusatenggarabarat",
    "ntt": "nusatenggaratimur",
    "malut": "malukuutara",
    "kepri": "kepulauanriau",
    "babel": "kepulauanbangkabelitung",
    "bangkabelitung": "kepulauanbangkabelitung",
}

#: kabupaten/kota names that are ordinary words or given names: they count only after a marker
BARE_STOP = frozenset(
    {
        "banjar",  # a row; a Balinese neighbourhood
        "batang",  # a stem; a counter word
        "batu",  # stone
        "batubara",  # coal
        "bima",  # a given name
        "buru",  # "buru-buru": in a hurry
        "karo",  # a surname
        "landak",  # porcupine
        "lingga",  # a given name
        "metro",  # "Polda Metro Jaya"
        "padangpanjang",  # a long field
        "pesisirbarat",  # the west coast
        "pesisirselatan",  # the south coast
        "puncak",  # summit; the Puncak pass near Bogor
        "samosir",  # a surname
        "solo",  # alone
        "sungaipenuh",  # "the river is full"
        "tanahdatar",  # flat land
        "tanahlaut",
        "tebingtinggi",  # a high bank
    }
)

#: one-word names that count without a marker only when written as one word: "Bukittinggi"
#: is the city, "bukit tinggi" a high hill
BARE_GLUED_ONLY = frozenset({"balikpapan", "baubau", "bukittinggi", "kotabaru", "pasangkayu"})

#: words that make the following place name part of a street or route name
STREET = frozenset(
    {"jalan", "jl", "jln", "raya", "gang", "gg", "jalur", "trayek", "tol", "lintas"}
)
