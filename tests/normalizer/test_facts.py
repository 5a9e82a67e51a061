"""Facts: what tells two alike complaints apart, on formal, SMS-shorthand and tweet text."""

from __future__ import annotations

import pytest

from normalizer.facts import Facts, conflicts, extract_facts, shared_specific

NIK_A = "3216012345670001"
NIK_B = "3216012345670002"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"NIK {NIK_A}", {f"nik:{NIK_A}"}, id="nik"),
        pytest.param(f"nik:{NIK_A}.", {f"nik:{NIK_A}"}, id="nik-colon-dot"),
        pytest.param("NIK: 3216 0123 4567 0001", {f"nik:{NIK_A}"}, id="nik-grouped"),
        pytest.param(f"ktp sy {NIK_A}", {f"nik:{NIK_A}"}, id="nik-after-ktp"),
        pytest.param(f"No KK {NIK_A}", {f"kk:{NIK_A}"}, id="kk"),
        pytest.param(f"kartu keluarga no. {NIK_A}", {f"kk:{NIK_A}"}, id="kk-long"),
        pytest.param(f"KK nya ada, NIK {NIK_A}", {f"nik:{NIK_A}"}, id="nik-nearer-than-kk"),
        pytest.param(f"{NIK_A} belum terdaftar", {f"nik:{NIK_A}"}, id="bare-16-digits"),
        pytest.param("hub 081234567890 atau 6281234567890", set(), id="phones-are-not-ids"),
        pytest.param("nomor 32160123456700011", set(), id="17-digits-not-nik"),
        pytest.param("NPWP 12.345.678.9-012.345", {"npwp:123456789012345"}, id="npwp-formatted"),
        pytest.param("npwp: 123456789012345", {"npwp:123456789012345"}, id="npwp-plain"),
        pytest.param("no kartu BPJS 0001234567890 ditolak", {"bpjs:0001234567890"}, id="bpjs"),
        pytest.param("bpjs kesehatan no 0001234567890", {"bpjs:0001234567890"}, id="bpjs-kes"),
        pytest.param("tagihan pln id pel 512345678901", {"pelanggan:512345678901"}, id="idpel"),
        pytest.param("no. pelanggan PDAM: 0412345", {"pelanggan:0412345"}, id="no-pelanggan"),
        pytest.param("IDPEL 512345678901", {"pelanggan:512345678901"}, id="idpel-glued"),
        pytest.param("mobil B 1234 XYZ parkir liar", {"plat:b1234xyz"}, id="plate"),
        pytest.param("nopol f 5678 ab kabur", {"plat:f5678ab"}, id="plate-lower-with-context"),
        pytest.param("Truk AD1234BC parkir", {"plat:ad1234bc"}, id="plate-glued"),
        pytest.param("b 2 dan rt 3", set(), id="lowercase-no-context-not-plate"),
        pytest.param("RT 02 RW 04 SDN 3 CIBINONG", set(), id="shouted-address-not-plate"),
    ],
)
def test_ids(text: str, expected: set[str]) -> None:
    assert extract_facts(text).ids == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"PKH a.n. SITI AMINAH NIK {NIK_A}", {"siti aminah"}, id="an-dot-then-nik"),
        pytest.param("bantuan an. Budi Santoso, warga rt 2", {"budi santoso"}, id="an"),
        pytest.param(
            "atas nama ibu Sri Wahyuni belum cair", {"sri wahyuni"}, id="atas-nama-honorific"
        ),
        pytest.param("a/n bpk darto sudah meninggal", {"darto"}, id="a-slash-n"),
        pytest.param("tetangga sy an. pak joko bangun rumah", {"joko"}, id="name-then-verb"),
        pytest.param("nama penerima: Ahmad Fauzi (65 thn)", {"ahmad fauzi"}, id="nama-penerima"),
        pytest.param("Anak sy nama Rina Marlina di SDN 2", {"rina marlina"}, id="nama-inline"),
        pytest.param("a.n. M. Yusuf bin Salim", {"m yusuf"}, id="initial-then-bin"),
        pytest.param("a.n SITI AMINAH\nalamat", {"siti aminah"}, id="stops-at-line"),
        pytest.param("nama saya Budi, warga", set(), id="self-introduction-skipped"),
        pytest.param("Nama: Budi Santoso\nAlamat: Jl. X", set(), id="form-header-is-the-writer"),
        pytest.param("atas nama warga RT 02", set(), id="atas-nama-warga"),
        pytest.param("tahun 90-an. Budi", set(), id="decade-an-not-name"),
        pytest.param("bulan. Budi", set(), id="word-ending-an-not-name"),
    ],
)
def test_names(text: str, expected: set[str]) -> None:
    assert extract_facts(text).names == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("warga RT 02/RW 04", {"rt:2", "rw:4"}, id="rt-rw-slash"),
        pytest.param("rt.2 rw.4", {"rt:2", "rw:4"}, id="rt-dot"),
        pytest.param("rt02 rw04", {"rt:2", "rw:4"}, id="rt-glued"),
        pytest.param("RT/RW 002/004", {"rt:2", "rw:4"}, id="rt-slash-rw-numbers"),
        pytest.param("RT 02/04", {"rt:2", "rw:4"}, id="rt-numbers-slash"),
        pytest.param("RT: 005 RW: 011", {"rt:5", "rw:11"}, id="rt-colon"),
        pytest.param("banjir dirt 02", {"rt:2"}, id="glued-di-rt"),
        pytest.param("trims - pak darto ketua rt 02", {"rt:2"}, id="signoff-rt"),
        pytest.param("rt 2/3/2024", set(), id="date-after-rt-is-not-rw"),
        pytest.param("Jl. Merdeka No. 5", {"jalan:merdeka"}, id="jl-dot"),
        pytest.param("di jl.merdeka rusak", {"jalan:merdeka"}, id="jl-glued-name"),
        pytest.param("dijln merdeka raya blm diperbaiki", {"jalan:merdeka raya"}, id="dijln"),
        pytest.param("Jalan Raya Bogor km 30", {"jalan:raya bogor"}, id="jalan-raya-bogor"),
        pytest.param("Jl. K.H. Ahmad Dahlan no 4", {"jalan:k h ahmad dahlan"}, id="jalan-initials"),
        pytest.param("jalan rusak parah", set(), id="jalan-generic-problem"),
        pytest.param("jalan raya berlubang", set(), id="jalan-raya-alone"),
        pytest.param("jalan di depan rumah", set(), id="jalan-di"),
        pytest.param("gg. mawar 3 gelap", {"gang:mawar 3"}, id="gang-number"),
        pytest.param("gang sempit", set(), id="gang-generic"),
        pytest.param("jembatan putus", set(), id="jembatan-problem-word"),
        pytest.param(
            "perumahan bumi indah kebanjiran lagi",
            {"landmark:perumahan bumi indah"},
            id="ke-an-problem-word",
        ),
        pytest.param("Yth. Bapak Bupati Bogor", {"kabupaten:bogor"}, id="bupati"),
        pytest.param("wali kota depok", {"kota:depok"}, id="wali-kota"),
        pytest.param(
            "Desa Sukamaju Kec. Cileungsi", {"desa:sukamaju", "kecamatan:cileungsi"}, id="desa-kec"
        ),
        pytest.param("dikel sukamaju sjk 2 bln", {"desa:sukamaju"}, id="dikel"),
        pytest.param(
            "Kelurahan Pondok Cina, Depok", {"desa:pondok cina"}, id="kelurahan-two-words"
        ),
        pytest.param("kel. bojong gede banjir", {"desa:bojong gede"}, id="kel-dot-stop-problem"),
        pytest.param("ds cibodas kec pacet", {"desa:cibodas", "kecamatan:pacet"}, id="ds-kec"),
        pytest.param("desa kami gelap", set(), id="desa-kami"),
        pytest.param("pihak kelurahan setempat", set(), id="kelurahan-setempat"),
        pytest.param("Dusun Krajan", {"dusun:krajan"}, id="dusun"),
        pytest.param("dsn 2 desa tegal", {"dusun:2", "desa:tegal"}, id="dusun-number"),
        pytest.param("Kampung Cibogo", {"dusun:cibogo"}, id="kampung-as-dusun"),
        pytest.param("Kab. Bogor", {"kabupaten:bogor"}, id="kab"),
        pytest.param(
            "Kabupaten Bandung Barat", {"kabupaten:bandung barat"}, id="kabupaten-two-words"
        ),
        pytest.param(
            "Kota Depok, Prov. Jawa Barat", {"kota:depok", "provinsi:jawa barat"}, id="kota-prov"
        ),
        pytest.param("pemkot bogor lambat", {"kota:bogor"}, id="pemkot"),
        pytest.param("kabar baik", set(), id="kab-inside-word"),
        pytest.param("#banjir #KelSukamaju @pemkotbogor", set(), id="hashtags-mentions-not-places"),
        pytest.param("banjir depan SDN 3 Cibinong", {"landmark:sdn 3 cibinong"}, id="sdn"),
        pytest.param("SD Negeri 03 Cibinong", {"landmark:sdn 3 cibinong"}, id="sd-negeri-zero"),
        pytest.param("sd 3 cibinong", {"landmark:sdn 3 cibinong"}, id="sd-number"),
        pytest.param("smpn 2 cileungsi yg rusak", {"landmark:smpn 2 cileungsi"}, id="smpn-yg"),
        pytest.param("di Puskesmas Cileungsi", {"landmark:puskesmas cileungsi"}, id="puskesmas"),
        pytest.param("pusk. cileungsi tutup", {"landmark:puskesmas cileungsi"}, id="pusk"),
        pytest.param(
            "puskesmas kec. cileungsi",
            {"landmark:puskesmas cileungsi", "kecamatan:cileungsi"},
            id="puskesmas-kec",
        ),
        pytest.param("RSUD Cibinong menolak pasien", {"landmark:rsud cibinong"}, id="rsud"),
        pytest.param(
            "Polsek Cileungsi dipungut", {"landmark:polsek cileungsi"}, id="polsek-verb-stops"
        ),
        pytest.param("polresta bogor", {"landmark:polres bogor"}, id="polresta"),
        pytest.param(
            "kantor desa sukamaju",
            {"landmark:kantor desa sukamaju", "desa:sukamaju"},
            id="kantor-desa",
        ),
        pytest.param("depan pasar cisalak, macet", {"landmark:pasar cisalak"}, id="pasar"),
        pytest.param("Masjid Al-Ikhlas", {"landmark:masjid al-ikhlas"}, id="masjid-hyphen"),
        pytest.param("di puskesmas tidak ada dokter", set(), id="puskesmas-unnamed"),
        pytest.param("SDN Sukamaju 01", {"landmark:sdn 1 sukamaju"}, id="landmark-number-first"),
        pytest.param(
            "Kp. Cibuluh RT 01/03", {"dusun:cibuluh", "rt:1", "rw:3"}, id="kp-rt-slash-rw"
        ),
        pytest.param(
            "Perum Griya Asri Blok C2",
            {"landmark:perumahan griya asri"},
            id="perum-stops-at-blok",
        ),
        pytest.param(
            "parkiran Stasiun Bojong Gede tgl 12",
            {"landmark:stasiun bojong gede"},
            id="stasiun-two-words",
        ),
        pytest.param("smp 3 hari", set(), id="smp-is-sampai"),
        pytest.param("SMP 3 hari", {"landmark:smpn 3"}, id="smp-capitals-is-school"),
        pytest.param("lapor ke pak lurah sukamaju", set(), id="lurah-is-a-person"),
        pytest.param("sampah dikelola warga", set(), id="dikelola-not-dikel"),
        pytest.param(
            "kekantor desa sukamaju",
            {"landmark:kantor desa sukamaju", "desa:sukamaju"},
            id="glued-ke-kantor",
        ),
        pytest.param("lampu mati 🙏 di gg. h. mansyur", {"gang:h mansyur"}, id="non-ascii-text"),
        pytest.param("Jalan Merdeka\nRusak", {"jalan:merdeka"}, id="name-stops-at-line-end"),
    ],
)
def test_places(text: str, expected: set[str]) -> None:
    assert extract_facts(text).places == expected


@pytest.mark.parametrize(
    ("text", "agencies", "documents"),
    [
        pytest.param(
            "Pembuatan SIM di Satlantas Polres Bogor",
            {"satlantas", "polres"},
            {"sim"},
            id="sim-satlantas",
        ),
        pytest.param("SKCK di Polsek Cileungsi", {"polsek"}, {"skck"}, id="skck-polsek"),
        pytest.param("ktp-el blm jadi di disdukcapil", {"dukcapil"}, {"ktp"}, id="ktp-el"),
        pytest.param(
            "e-ktp, ektp, KTP el, kartu tanda penduduk", set(), {"ktp"}, id="ktp-spellings"
        ),
        pytest.param("akte kelahiran & KK di capil", {"dukcapil"}, {"akta", "kk"}, id="akte-kk"),
        pytest.param("akta kematian ayah", set(), {"akta kematian"}, id="akta-kematian"),
        pytest.param("kartu sim hilang, sim card baru", set(), set(), id="phone-sim-not-licence"),
        pytest.param("bansos PKH, BLT-DD dan BPNT", set(), {"pkh", "blt", "bpnt"}, id="bansos"),
        pytest.param("kartu BPJS ditolak RSUD", {"bpjs", "rsud"}, {"bpjs"}, id="bpjs"),
        pytest.param("KIP dan KIS", set(), {"kip", "kis"}, id="kip-kis"),
        pytest.param("air PDAM mati, listrik PLN padam", {"pdam", "pln"}, set(), id="utilities"),
        pytest.param("DPUPR tidak memperbaiki", {"dinas pu"}, set(), id="dpupr"),
        pytest.param("dinas pekerjaan umum", {"dinas pu"}, set(), id="dinas-pu-long"),
        pytest.param("dinas sosial & dinkes", {"dinsos", "dinkes"}, set(), id="dinsos-dinkes"),
        pytest.param("perpanjang STNK di samsat, BPKB", {"samsat"}, {"stnk", "bpkb"}, id="samsat"),
        pytest.param("sertipikat tanah di BPN", {"bpn"}, {"sertifikat"}, id="sertifikat"),
        pytest.param("IMB atau PBG", set(), {"imb"}, id="imb-pbg"),
        pytest.param("urus paspor di imigrasi", {"imigrasi"}, {"paspor"}, id="paspor"),
        pytest.param("satpol pp dan pusk", {"satpol pp", "puskesmas"}, set(), id="satpol-pusk"),
        pytest.param("kantor kelurahan tutup", {"kantor desa"}, set(), id="kantor-kelurahan"),
        pytest.param("simpan uang di kuali", set(), set(), id="no-substrings"),
        pytest.param("sdh lapor kepdam", {"pdam"}, set(), id="glued-ke-agency"),
        pytest.param("Polrestabes Bandung", {"polres"}, set(), id="polrestabes"),
    ],
)
def test_agencies_and_documents(text: str, agencies: set[str], documents: set[str]) -> None:
    facts = extract_facts(text)
    assert (facts.agencies, facts.documents) == (agencies, documents)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("menjadi Rp 780.000", {780_000}, id="rp-dots"),
        pytest.param("Rp780.000,-", {780_000}, id="rp-glued-dash"),
        pytest.param("Rp. 1.500.000,00", {1_500_000}, id="rp-cents"),
        pytest.param("IDR 50,000", {50_000}, id="idr-comma-thousands"),
        pytest.param("jd 780rb pdhl", {780_000}, id="rb"),
        pytest.param("780 rb", {780_000}, id="rb-spaced"),
        pytest.param("780 ribu rupiah", {780_000}, id="ribu-rupiah"),
        pytest.param("780k", {780_000}, id="k"),
        pytest.param("1,5 jt", {1_500_000}, id="jt-comma"),
        pytest.param("1.5 juta", {1_500_000}, id="juta-dot"),
        pytest.param("2 jt", {2_000_000}, id="jt"),
        pytest.param("rp 1,5jt", {1_500_000}, id="rp-jt"),
        pytest.param("1 jt 500 rb", {1_500_000}, id="jt-rb"),
        pytest.param("1jt500", {1_500_000}, id="jt-glued-hundreds"),
        pytest.param("5000 perak", {5_000}, id="perak"),
        pytest.param("bayar 50000", {50_000}, id="context-bayar"),
        pytest.param("dipungut 50.000", {50_000}, id="context-dipungut"),
        pytest.param(
            "dipungut biaya sebesar 150.000 per orang", {150_000}, id="context-words-between"
        ),
        pytest.param("diminta uang Rp.100.000", {100_000}, id="context-rp-dot"),
        pytest.param("RT 02 RW 04", set(), id="rt-rw"),
        pytest.param("sudah 2 bulan", set(), id="duration"),
        pytest.param(f"NIK {NIK_A}", set(), id="nik"),
        pytest.param("hub 081234567890", set(), id="phone"),
        pytest.param("bayar ke 081234567890", set(), id="phone-after-money-word"),
        pytest.param("tahun 2024", set(), id="year"),
        pytest.param("tagihan 2024 naik", set(), id="year-after-money-word"),
        pytest.param("tgl 12-01-2024", set(), id="date"),
        pytest.param("tagihan bulan 3", set(), id="small-after-money-word"),
        pytest.param("biaya naik 50%", set(), id="percent"),
        pytest.param("5km dari sini", set(), id="km-not-k"),
        pytest.param("tagihan no 123456 naik", set(), id="number-after-money-word-and-no"),
        pytest.param("iuran rt 5000 per bulan", set(), id="rt-between-money-word-and-figure"),
        pytest.param("iuran 5000 per bulan", {5_000}, id="iuran"),
    ],
)
def test_amounts(text: str, expected: set[int]) -> None:
    assert extract_facts(text).amounts == expected


def test_formal_letter() -> None:
    text = (
        "Yth. Admin LAPOR!\nDengan hormat, saya Budi, warga Jl. Merdeka No. 5 RT 003/RW 007 "
        "Kel. Sukamaju Kec. Cileungsi Kab. Bogor. Dengan ini saya melaporkan tagihan PDAM "
        "melonjak menjadi Rp 780.000,- padahal biasanya Rp 150.000.\nHormat saya, Budi"
    )
    assert extract_facts(text) == Facts(
        places=frozenset(
            {
                "jalan:merdeka",
                "rt:3",
                "rw:7",
                "desa:sukamaju",
                "kecamatan:cileungsi",
                "kabupaten:bogor",
            }
        ),
        agencies=frozenset({"pdam"}),
        amounts=frozenset({780_000, 150_000}),
    )


def test_sms_shorthand() -> None:
    text = "dirmh sy dikel sukamaju sjk 2 bln tagihan pdam jd 780rb pdhl biasa 150 rb. mhn diperbaiki. trims - pak darto ketua rt 02"
    assert extract_facts(text) == Facts(
        places=frozenset({"desa:sukamaju", "rt:2"}),
        agencies=frozenset({"pdam"}),
        amounts=frozenset({780_000, 150_000}),
    )


def test_tweet() -> None:
    text = "@lapor1708 #banjir di jl.merdeka dirt02 rw.4 sdh 3 hari, air masuk ke SDN 3 Cibinong @bpbdbogor https://t.co/x1"
    assert extract_facts(text) == Facts(
        places=frozenset({"jalan:merdeka", "rt:2", "rw:4", "landmark:sdn 3 cibinong"}),
    )


def test_formal_letter_with_form_header() -> None:
    text = (
        "Yth. Bapak/Ibu Admin LAPOR!\nDengan hormat,\nSaya yang bertanda tangan di bawah ini:\n"
        "Nama : Rudi Hartono\nAlamat : Perum Griya Asri Blok C2 No. 10, Desa Cibadak, "
        "Kec. Ciampea, Kab. Bogor\nDengan ini saya melaporkan bahwa lampu penerangan jalan umum "
        "(PJU) di sepanjang Jalan Raya Ciampea sudah padam selama 2 minggu. Mohon segera "
        "diperbaiki oleh Dinas PUPR.\nHormat saya,\nRudi Hartono"
    )
    assert extract_facts(text) == Facts(
        places=frozenset(
            {
                "landmark:perumahan griya asri",
                "desa:cibadak",
                "kecamatan:ciampea",
                "kabupaten:bogor",
                "jalan:raya ciampea",
            }
        ),
        agencies=frozenset({"dinas pu"}),
    )


def test_sms_bansos_template() -> None:
    text = "Anak saya atas nama Rizky Pratama siswa kelas 6 SDN Sukamaju 01 belum menerima dana PIP/KIP sebesar Rp 450.000 tahun 2024"
    assert extract_facts(text) == Facts(
        names=frozenset({"rizky pratama"}),
        places=frozenset({"landmark:sdn 1 sukamaju"}),
        documents=frozenset({"kip"}),
        amounts=frozenset({450_000}),
    )


def test_report_with_plate_phone_and_date() -> None:
    text = (
        "Yth Polres Bogor, motor saya hilang di parkiran Stasiun Bojong Gede tgl 12/03/2024, "
        "nopol F 4521 GH. Sudah lapor ke Polsek Bojonggede tp blm ada kabar. Hub 081298765432"
    )
    assert extract_facts(text) == Facts(
        ids=frozenset({"plat:f4521gh"}),
        places=frozenset(
            {"landmark:polres bogor", "landmark:polsek bojonggede", "landmark:stasiun bojong gede"}
        ),
        agencies=frozenset({"polres", "polsek"}),
    )


def test_tweet_with_hashtags_only() -> None:
    text = "Sampah menumpuk sudah seminggu tidak diangkut. Baunya sampai ke SMPN 41 Jakarta. @DKIJakarta @dinaslhdki #sampah #PasarMinggu"
    assert extract_facts(text) == Facts(places=frozenset({"landmark:smpn 41 jakarta"}))


def test_same_text_same_facts() -> None:
    text = "bantuan PKH a.n. SITI AMINAH NIK 3216012345670001 RT 02/RW 04, 1,5 jt"
    assert extract_facts(text) == extract_facts(text.upper())
    assert hash(extract_facts(text)) == hash(extract_facts(text))


def test_empty_text() -> None:
    assert extract_facts("") == Facts()


PKH = "bantuan PKH tahap 3 a.n. {name} NIK {nik} warga RT 02/RW 04 Desa Sukamaju belum cair"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            PKH.format(name="SITI AMINAH", nik=NIK_A),
            PKH.format(name="DEWI LESTARI", nik=NIK_B),
            ["nik", "name"],
            id="template-other-recipient",
        ),
        pytest.param(
            PKH.format(name="SITI AMINAH", nik=NIK_A),
            "PKH a.n. siti aminah nik " + NIK_A + " blm cair",
            [],
            id="same-recipient-shorthand",
        ),
        pytest.param("a.n. Siti", "atas nama Siti Aminah", [], id="name-cut-short"),
        pytest.param(
            "Pembuatan SIM di Satlantas Polres Bogor dipungut 50rb",
            "Pembuatan SKCK di Polsek Cileungsi dipungut 50rb",
            ["agency", "document"],
            id="other-office-other-document",
        ),
        pytest.param(
            "banjir di Kel. Sukamaju", "banjir di Kel. Sukajaya", ["desa"], id="other-kelurahan"
        ),
        pytest.param(
            "banjir di kel sukamaju", "banjir kelurahan sukamaju indah", [], id="desa-name-extended"
        ),
        pytest.param(
            "jalan rusak di Jl. Merdeka",
            "jalan rusak di Jl. Sudirman",
            ["jalan"],
            id="other-street",
        ),
        pytest.param("RT 02 RW 04 gelap", "rt 3 rw 4 gelap", ["rt"], id="other-rt-same-rw"),
        pytest.param("RT 02 gelap", "rt 3 gelap", [], id="rt-alone-not-compared"),
        pytest.param("RT 02 RW 04 gelap", "rt 2 rw 5 gelap", ["rw"], id="other-rw"),
        pytest.param(
            "banjir depan SDN 3 Cibinong",
            "banjir depan SDN 5 Cibinong",
            ["landmark"],
            id="other-school",
        ),
        pytest.param(
            "banjir depan SDN 3 Cibinong",
            "banjir dekat pasar cibinong",
            [],
            id="other-landmark-kind",
        ),
        pytest.param("air PDAM mati", "listrik PLN padam", ["agency"], id="pdam-vs-pln"),
        pytest.param(
            "air PDAM mati",
            "air mati, sudah lapor ke kantor kelurahan",
            [],
            id="other-agency-family",
        ),
        pytest.param("tagihan jd 780rb", "tagihan Rp 780.000", [], id="same-amount-two-spellings"),
        pytest.param("tagihan jd 780rb", "tagihan jd 900rb", ["amount"], id="other-amount"),
        pytest.param("motor B 1234 XYZ", "motor B 5678 XYZ", ["plat"], id="other-plate"),
        pytest.param("banjir", "banjir di kel sukamaju", [], id="one-side-silent"),
        pytest.param("KTP dan KK", "KK belum jadi", [], id="documents-overlap"),
        pytest.param(
            "pungli KTP-el di kec cibinong",
            "pungli pembuatan KK di kec cibinong",
            ["document"],
            id="other-document-same-office",
        ),
        pytest.param(
            "banjir kec cileungsi", "banjir kec. cibinong", ["kecamatan"], id="other-kecamatan"
        ),
        pytest.param(
            "SKCK di Polsek Cileungsi", "SKCK di Polres Bogor", ["agency"], id="polsek-vs-polres"
        ),
        pytest.param(
            "SDN Sukamaju 01 banjir", "SDN 1 Sukamaju kebanjiran", [], id="school-number-order"
        ),
        pytest.param("a.n. SITI AMINAH", "A.N. Siti Aminah", [], id="name-case"),
        # a place written twice by one citizen: a typo, a spacing, extraction running on
        pytest.param(
            "tanah di Desa Bandar Klippa", "tanah di Desa Bandar Klipa", [], id="desa-typo"
        ),
        pytest.param(
            "Samsat (Jl. A.P. Pettarani) antri", "Samsat (Jl. AP Pettarani) antri", [],
            id="jalan-spacing",
        ),
        pytest.param(
            "prgkat ds mekarsari mnt uang", "prgkat ds mekarsari mnta uang", [],
            id="desa-name-runs-on",
        ),
        pytest.param("SDN 3 Cibiru banjir", "SDN 5 Cibiru banjir", ["landmark"], id="other-school"),
        pytest.param(
            "lubang di Jl. Raya Bogor", "lubang di Jl. Raya Serpong", ["jalan"],
            id="generic-word-is-not-a-match",
        ),
    ],
)
def test_conflicts(a: str, b: str, expected: list[str]) -> None:
    fa, fb = extract_facts(a), extract_facts(b)
    assert conflicts(fa, fb) == expected
    assert sorted(conflicts(fb, fa)) == sorted(expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            "banjir di jl.merdeka dirt02 rw.4",
            "Banjir di Jl. Merdeka RT 02/RW 04",
            ["jalan:merdeka", "rt:2", "rw:4"],
            id="same-street-rt-rw",
        ),
        pytest.param("banjir rt 2 rw 4", "gelap rt 02 rw 04", [], id="rt-rw-alone-not-specific"),
        pytest.param(
            "banjir depan SDN 3 Cibinong",
            "sdn 3 cibinong kebanjiran",
            ["landmark:sdn 3 cibinong"],
            id="landmark",
        ),
        pytest.param(
            "dikel sukamaju", "Kelurahan Sukamaju Indah", ["desa:sukamaju"], id="desa-prefix"
        ),
        pytest.param(
            PKH.format(name="SITI AMINAH", nik=NIK_A),
            "a.n. siti aminah " + NIK_A,
            ["name:siti aminah", f"nik:{NIK_A}"],
            id="name-and-nik",
        ),
        pytest.param(
            "Kec. Cileungsi Kab. Bogor", "kec cileungsi kab bogor", [], id="kecamatan-not-specific"
        ),
        pytest.param("Jl. Merdeka", "Jl. Sudirman", [], id="nothing-shared"),
        pytest.param(
            "SDN Sukamaju 01 banjir",
            "sdn 1 sukamaju kebanjiran",
            ["landmark:sdn 1 sukamaju"],
            id="school-number-order",
        ),
        pytest.param("motor B 1234 XYZ hilang", "nopol b 1234 xyz", ["plat:b1234xyz"], id="plate"),
    ],
)
def test_shared_specific(a: str, b: str, expected: list[str]) -> None:
    fa, fb = extract_facts(a), extract_facts(b)
    assert shared_specific(fa, fb) == expected
    assert shared_specific(fb, fa) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("İstanbul ß café 🙏 rp jt", id="unicode-and-dangling-units"),
        pytest.param("Rp ,- 1.2.3,4,5 jt ,, ..", id="odd-separators"),
        pytest.param("9" * 40 + " rb", id="long-digit-run"),
        pytest.param("a.n.\nnama:\nRT/RW /", id="keywords-without-values"),
    ],
)
def test_odd_input_gives_facts_not_errors(text: str) -> None:
    facts = extract_facts(text)
    assert conflicts(facts, facts) == []
    assert isinstance(shared_specific(facts, facts), list)
