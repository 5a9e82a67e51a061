"""Word lists and alias tables of :mod:`normalizer.facts`: what each kind of fact is called.

Aliases map every spelling a citizen uses (formal, SMS shorthand, old and new names) to one
canonical value, so two reports compare equal however they were typed. The canonical
vocabularies are the keys of the ``*_ALIASES`` tables.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of *text*."""
    return frozenset(text.split())


#: words that never start or continue a place, landmark or person name: function words,
#: pronouns, time words and the problem words that follow a place in a complaint.
STOP = words(
    """
    yang yg di ke dari dr dan n dgn dengan sudah sdh udah udh dah belum blm tidak tdk ga gak
    gk nggak ngga enggak ada tapi tp tpi sejak sjk sampai sampe smp hingga untuk utk karena
    krn pada pd oleh sebagai sbg ini itu tsb tersebut nya setempat sekitar sekitarnya kami
    kita saya sy aku mereka dia warga masyarakat bapak bpk pak ibu bu mohon mhn tolong tlg
    segera sgr harap mau akan sedang lagi lg masih msh juga jg sangat sgt sekali bgt banget
    parah rusak rsk berlubang bolong lubang licin macet banjir tergenang genangan longsor
    gelap mati padam bocor mampet tersumbat kotor bau sampah retak amblas ambles becek
    hancur sempit kecil besar buntu lama baru sebelah sblh depan dpn belakang blkg samping
    dekat dkt deket dalam luar atas bawah arah menuju antara hari hr minggu bulan bln tahun
    thn th jam pagi siang sore malam kemarin kmrn kmr sekarang skrg tadi telah pernah selalu
    sering kali kok dong deh sih ya yah tuh pun lah bisa dapat dpt perlu harus hrs agar
    supaya biar jadi jd namun atau serta semua setiap banyak byk bnyk no nomor nmr nomer
    km blok kav tetangga halaman kampung lain lainnya tsb terkait meluap rt rw nik kk
    lapor laporan melapor melaporkan terima kasih trims makasih terimakasih salam hormat
    admin yth ketua kepala umur usia tgl tanggal lahir lhr bin binti alamat almt status
    tahap selaku belum tak jg pula air listrik dimana mana kapan apa siapa bagaimana gimana
    sebesar senilai rp terdaftar menerima penerima diterima dapat mendapat mendapatkan
    tinggal beralamat berdomisili domisili lambat lelet jelek buruk kumuh tutup buka mahal
    naik turun kosong penuh antri antre antrian pungli mogok hilang kurang minim susah sulit
    cair libur korupsi bansos bantuan tagihan lampu pju sekolah guru dokter pasien siswa anak
    orang petugas pegawai oknum pejabat kades rumah rmh sawah kebun got selokan saluran
    drainase irigasi pohon tiang kabel trotoar parkir liar pedagang dll sdgkan sedangkan
    putus ambruk roboh patah runtuh miring jebol tumbang keruh kering rawan bahaya berbahaya
    sepi ramai bising berisik kebanjiran kemalingan kehilangan kekurangan kerusakan
    kecelakaan bangun buang jual beli pakai pake buat bikin punya bilang kasih ambil kerja
    pergi pulang datang dtg lewat kena suka sakit meninggal wafat hamil ngebut
    """
)

#: a place value made only of one of these is a description, not a name ("jalan raya").
GENERIC_ALONE = words(
    """
    raya utama umum desa kampung lingkungan poros setapak tol protokol nasional provinsi
    kabupaten alternatif pintas masuk keluar lurus kaki layang negeri swasta induk pembantu
    """
)

#: abbreviations inside a name that end with a dot without ending the name ("K.H. Dahlan")
NAME_ABBREV = words("kh h hj dr ir st m moh muh mochamad drs prof")
#: qualifiers after "nama" that mean the writer, not the complaint's subject
SELF = words("pelapor saya sy kami aku")
HONORIFIC = words("bpk bapak pak ibu bu ny nyonya sdr sdri saudara saudari tn tuan alm almh")

#: place kinds -> aliases; kelurahan is folded into desa (the same administrative level),
#: kampung into dusun (the hamlet below it)
PLACE_ALIASES: dict[str, tuple[str, ...]] = {
    "jalan": ("jalan", "jln", "jl", "jlan"),
    "gang": ("gang", "gg"),
    "desa": ("desa", "ds", "kelurahan", "kel", "kelurhn", "klurahan", "lurah"),
    "dusun": ("dusun", "dsn", "kampung", "kp"),
    "kecamatan": ("kecamatan", "kec", "kcmtn", "kecmatan", "camat"),
    "kabupaten": ("kabupaten", "kab", "pemkab", "bupati"),
    "kota": ("kota", "kot", "pemkot", "walikota", "wali kota"),
    "provinsi": ("provinsi", "propinsi", "prov", "prop"),
}
#: how many words a place name may have (two unless listed)
PLACE_MAX_WORDS = {"jalan": 4, "gang": 3, "provinsi": 3}
#: place kinds whose name may be a number ("gg. 5", "dusun 2")
PLACE_NUMBERED = words("gang dusun")

#: landmark institution words -> canonical; a numbered SD/SMP/SMA/SMK is a state school.
LANDMARK_ALIASES: dict[str, tuple[str, ...]] = {
    "sdn": ("sdn", "sd negeri", "sd n"),
    "smpn": ("smpn", "smp negeri", "smp n"),
    "sman": ("sman", "sma negeri", "sma n"),
    "smkn": ("smkn", "smk negeri", "smk n"),
    "mts": ("mtsn", "mts"),
    "puskesmas": ("puskesmas", "pusk", "pustu"),
    "rsud": ("rsud", "rs umum daerah", "rumah sakit umum daerah"),
    "rs": ("rumah sakit", "rsu", "rsia", "rs"),
    "polsek": ("polsek",),
    "polres": ("polrestabes", "polresta", "polres"),
    "polda": ("polda",),
    "koramil": ("koramil",),
    "kodim": ("kodim",),
    "pasar": ("pasar",),
    "terminal": ("terminal",),
    "stasiun": ("stasiun",),
    "masjid": ("masjid", "mesjid", "msjd"),
    "mushola": ("musholla", "mushola", "mushalla", "musala", "surau"),
    "gereja": ("gereja",),
    "kantor desa": ("kantor desa", "balai desa"),
    "kantor kelurahan": ("kantor kelurahan", "kantor lurah"),
    "kantor kecamatan": ("kantor kecamatan", "kantor camat"),
    "jembatan": ("jembatan",),
    "posyandu": ("posyandu",),
    "perumahan": ("perumahan", "perum"),
    "komplek": ("kompleks", "komplek", "komp"),
    "sungai": ("sungai",),
    "tpu": ("tpu",),
    "lapangan": ("lapangan",),
}
#: "SD 3", "smp 2 cileungsi": a numbered school; "smp" is also SMS for "sampai"
SCHOOLS = words("sd smp sma smk")
#: admin words an office may carry before its name ("puskesmas kec. cileungsi") ...
LANDMARK_ADMIN_WORDS = words("kec kecamatan kel kelurahan desa ds kota kab kabupaten")
#: ... for these offices
LANDMARK_ADMIN_PREFIXED = words("puskesmas rsud polsek polres polda koramil kodim")

#: the agency vocabulary: the office a complaint is about
AGENCY_ALIASES: dict[str, tuple[str, ...]] = {
    "satlantas": ("satlantas", "sat lantas", "polantas"),
    "polsek": ("polsek",),
    "polres": ("polrestabes", "polresta", "polres"),
    "polda": ("polda",),
    "dukcapil": ("disdukcapil", "dukcapil", "capil", "dinas kependudukan"),
    "samsat": ("samsat",),
    "pdam": ("pdam", "perumda air minum", "perumda tirta"),
    "pln": ("pln",),
    "bpjs": ("bpjs",),
    "dinas pu": (
        "dinas pu",
        "dinas pupr",
        "dpupr",
        "dpu",
        "pupr",
        "dinas pekerjaan umum",
        "bina marga",
    ),
    "dinsos": ("dinsos", "dinas sosial"),
    "dinkes": ("dinkes", "dinas kesehatan"),
    "disdik": ("disdik", "dinas pendidikan", "diknas"),
    "dishub": ("dishub", "dinas perhubungan"),
    "dlh": ("dlh", "dinas lingkungan hidup"),
    "disnaker": ("disnaker", "dinas tenaga kerja"),
    "bapenda": ("bapenda", "dispenda"),
    "puskesmas": ("puskesmas", "pusk", "pustu"),
    "rsud": ("rsud",),
    "kua": ("kua",),
    "bpn": ("atr/bpn", "bpn", "kantor pertanahan", "kantah"),
    "kantor desa": ("kantor desa", "balai desa", "kantor kelurahan", "kantor lurah", "pemdes"),
    "kantor kecamatan": ("kantor kecamatan", "kantor camat"),
    "satpol pp": ("satpol pp", "satpol", "pol pp"),
    "bpbd": ("bpbd",),
    "damkar": ("damkar", "pemadam kebakaran"),
    "imigrasi": ("imigrasi",),
    "kemenag": ("kemenag",),
    "pemda": ("pemda", "pemkab", "pemkot", "pemprov"),
}
#: agencies compared with each other: a Polsek and a Polres are two offices, but a PDAM
#: complaint that mentions "lapor ke kantor desa" is not thereby about another office.
AGENCY_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"polsek", "polres", "polda"}),
    frozenset({"pdam", "pln"}),
    frozenset({"puskesmas", "rsud"}),
    frozenset(
        {
            "dinas pu",
            "dinsos",
            "dinkes",
            "disdik",
            "dishub",
            "dlh",
            "disnaker",
            "dukcapil",
            "bapenda",
        }
    ),
    frozenset({"kantor desa", "kantor kecamatan"}),
)

#: the document vocabulary: the service or programme a complaint is about
DOCUMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "sim": ("sim",),
    "skck": ("skck",),
    "ktp": ("ktp-el", "ktp el", "ktpel", "e-ktp", "e ktp", "ektp", "ktp", "kartu tanda penduduk"),
    "kk": ("kartu keluarga", "kk"),
    "akta kematian": ("akta kematian", "akte kematian"),
    "buku nikah": ("akta nikah", "akte nikah", "buku nikah"),
    "akta": ("akta kelahiran", "akte kelahiran", "akta lahir", "akte lahir", "akta", "akte"),
    "bpjs": ("kartu bpjs", "bpjs"),
    "kis": ("kis",),
    "kip": ("kip",),
    "pkh": ("pkh",),
    "blt": (
        "blt-dd",
        "blt dd",
        "blt",
    ),
    "bpnt": ("bpnt",),
    "sktm": ("sktm",),
    "npwp": ("npwp",),
    "paspor": ("paspor", "pasport", "passport"),
    "sertifikat": ("sertifikat", "sertipikat"),
    "imb": ("imb", "pbg"),
    "stnk": ("stnk",),
    "bpkb": ("bpkb",),
    "pbb": ("pbb", "sppt"),
}


#: first letters of Indonesian vehicle registration areas (TNKB)
PLATE_REGIONS = words(
    """
    a b d e f g h k l m n p r s t w z aa ab ad ae ag ba bb bd be bg bh bk bl bm bn bp da db
    dd de dg dh dk dl dm dn dr ds dt ea eb ed kb kh kt ku pa pb
    """
)

#: words that introduce an ID number
BPJS_WORDS = words("bpjs kis jkn noka")
PELANGGAN_WORDS = words("id idpel no nomor nosamb")

#: rupiah multipliers of the words written after a figure
UNITS: dict[str, int] = {
    "rb": 1_000,
    "rbu": 1_000,
    "ribu": 1_000,
    "rebu": 1_000,
    "rban": 1_000,
    "ribuan": 1_000,
    "k": 1_000,
    "jt": 1_000_000,
    "jta": 1_000_000,
    "juta": 1_000_000,
    "jutaan": 1_000_000,
    "m": 1_000_000_000,
    "miliar": 1_000_000_000,
    "milyar": 1_000_000_000,
    "rupiah": 1,
    "perak": 1,
}
#: words after which a bare figure is money ("bayar 50000", "biaya 150.000")
MONEY_WORDS = words(
    """
    bayar membayar dibayar byr pungut dipungut pungutan pungli biaya biayanya tarif harga
    diminta dimintai minta tagihan tagihannya denda uang sebesar senilai iuran setor nyetor
    ongkos sogok suap tebus menebus dikenakan dikenai
    """
)
#: a figure after one of these, between the money word and it, is not money ("tagihan no
#: 123456", "iuran bulan 10")
MONEY_BLOCKERS = words(
    """
    no nomor nmr nomer id nik kk rt rw tgl tanggal thn tahun th bulan bln hari hr minggu jam
    ke sejak selama kali
    """
)
