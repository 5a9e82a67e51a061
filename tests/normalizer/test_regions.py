"""resolve_region: the Kemendagri region a complaint names, on the shipped gazetteer."""

from __future__ import annotations

import gzip
from importlib import resources

import pytest

from normalizer.regions import Gazetteer, Region, gazetteer, preload, resolve_region

KAB_BOGOR = ("Jawa Barat", "Kabupaten Bogor")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # a desa name shared by many desa, made unique by its kecamatan
        pytest.param(
            "Yth. Admin, saya warga Jl. Merdeka 12 RT 02/RW 04 Kel. Mekarsari, Kec. Cileungsi, "
            "Kab. Bogor. Jalan rusak sudah 3 bulan.",
            "32.01.07.2002",
            id="formal-letter-desa-kec-kab",
        ),
        pytest.param(
            "dirmh sy di ds sukamaju kec jonggol air g ngalir", "32.01.06.2001", id="sms-ds-kec"
        ),
        pytest.param("didesa mekarsari dikec cileungsi", "32.01.07.2002", id="glued-di-markers"),
        pytest.param(
            "warga kel/desa mekarsari kec. cileungsi", "32.01.07.2002", id="kel-slash-desa"
        ),
        pytest.param(
            "DESA MEKAR SARI KECAMATAN CILEUNGSI", "32.01.07.2002", id="upper-spaced-name"
        ),
        pytest.param("pungli di kel kalirungkut", "35.78.03.1001", id="unique-kelurahan-alone"),
        pytest.param(
            "banjir di Kel. Kota Baru, Kec. Cibeureum",
            "32.78.06.1008",
            id="desa-name-starts-with-kota",
        ),
        # "Sukamaju" is no desa of Kecamatan Cileungsi: the kecamatan is what is certain
        pytest.param(
            "dikel sukamaju kec cileungsi", "32.01.07", id="sms-desa-not-in-kec-falls-back"
        ),
        pytest.param("antri ktp di kec rungkut lama", "35.78.03", id="unique-kecamatan"),
        # ambiguous desa names
        pytest.param("jalan rusak di desa sukamaju", None, id="desa-in-65-places-alone"),
        pytest.param("desa sukamaju kab bogor", "32.01", id="desa-in-4-kecamatan-of-named-kab"),
        pytest.param("desa cileungsi", "32.01", id="desa-whose-namesakes-share-a-kab"),
        pytest.param("rob masuk rumah di kel tanjung mas", None, id="desa-in-many-provinces"),
        pytest.param("listrik padam di kel sei sikambing", "12.71", id="desa-name-written-short"),
        # kota vs kabupaten
        pytest.param("Dinas Perizinan Kota Bogor", "32.71", id="kota-bogor"),
        pytest.param("Dinas Perizinan Kabupaten Bogor", "32.01", id="kabupaten-bogor"),
        pytest.param("dishub kab. bogor", "32.01", id="kab-dot-bogor"),
        pytest.param("samsat bogor antri panjang", "32", id="bare-bogor-is-both-so-province"),
        pytest.param("Polres Bogor, Kec. Cileungsi", "32.01.07", id="bare-bogor-with-kec"),
        pytest.param("pengurusan imb kota medan", "12.71", id="kota-medan-not-desa-kota-medan"),
        pytest.param("alun-alun kota garut", "32.05", id="kota-word-before-a-kabupaten"),
        pytest.param("kabupaten bandung barat", "32.17", id="longest-name-wins"),
        pytest.param("kec cileungsi dan kec jonggol", "32.01", id="two-kecamatan-one-kab"),
        pytest.param("kec rungkut, kec manggala", None, id="two-kecamatan-two-provinces"),
        # city codes and shorthand mean what the written name means
        pytest.param("macet parah di jkt", "31", id="jkt"),
        pytest.param("jalan rusak di bdg", "32", id="bdg-is-bandung-kota-or-kab"),
        pytest.param("banjir sby", "35.78", id="sby"),
        pytest.param("pdam bgr mati", "32", id="bgr"),
        pytest.param("sampah di smg", "33", id="smg"),
        pytest.param("parkir liar jogja", "34", id="jogja-kota-and-province"),
        pytest.param("rsud di mks", "73.71", id="mks"),
        pytest.param("samsat mdn", "12.71", id="mdn"),
        pytest.param("banjir plg", "16.71", id="plg"),
        pytest.param("banjir di dpk", "32.76", id="dpk"),
        pytest.param("macet di jaksel", "31.74", id="jaksel"),
        pytest.param("kota solo", "33.72", id="solo-only-with-marker"),
        pytest.param("bansos di jabar", "32", id="province-shorthand"),
        pytest.param("Provinsi Nusa Tenggara Timur", "53", id="province-marker"),
        # no place
        pytest.param("", None, id="empty"),
        pytest.param("jalan rusak parah, mohon diperbaiki", None, id="no-place"),
        pytest.param("di kota ini sampah menumpuk", None, id="kota-as-a-word"),
        pytest.param("antri lama di kec", None, id="marker-at-the-end"),
        pytest.param("kel. , kec. ; kab.", None, id="markers-without-names"),
        pytest.param("KEL. KALIRUNGKUT!!!", "35.78.03.1001", id="shouting"),
        # ordinary words that are also place names count only after a marker
        pytest.param("jalan baru sudah rusak lagi", None, id="baru"),
        pytest.param("semoga jaya selalu, tamannya indah", None, id="jaya-indah"),
        pytest.param("angin kencang dari arah utara", None, id="utara"),
        pytest.param("mekar jaya sari makmur", None, id="desa-names-without-marker"),
        pytest.param("batu besar jatuh, batang pohon patah", None, id="batu-batang"),
        pytest.param("sungai penuh sampah, tebing tinggi longsor", None, id="kabkota-phrases"),
        pytest.param("pak bima ketua rt", None, id="given-name"),
        pytest.param("rumah di bukit tinggi longsor", None, id="bukit-tinggi-apart-is-a-hill"),
        pytest.param("macet di bukittinggi", "13.75", id="bukittinggi-glued-is-the-city"),
        pytest.param("bau bau sampahnya", None, id="bau-bau-apart-is-a-smell"),
        pytest.param("pelabuhan baubau", "74.72", id="baubau-glued-is-the-city"),
        pytest.param("kantor polda metro jaya", None, id="metro-jaya"),
        # a street named after a city is not that city
        pytest.param("lampu mati di Jl. Raya Bogor km 20", None, id="street-raya-bogor"),
        pytest.param("jalan jakarta-bogor km 45 rusak", None, id="street-two-cities"),
        pytest.param("jalan pemuda semarang berlubang", "33", id="city-after-street-name"),
    ],
)
def test_resolve_region(text: str, code: str | None) -> None:
    region = resolve_region(text)
    assert (region.code if region else None) == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Kel. Mekarsari, Kec. Cileungsi",
            Region("32.01.07.2002", "desa", "Mekarsari", (*KAB_BOGOR, "Cileungsi", "Mekarsari")),
            id="desa",
        ),
        pytest.param(
            "kec cileungsi",
            Region("32.01.07", "kecamatan", "Cileungsi", (*KAB_BOGOR, "Cileungsi")),
            id="kec",
        ),
        pytest.param(
            "kab bogor", Region("32.01", "kabupaten", "Kabupaten Bogor", KAB_BOGOR), id="kab"
        ),
        pytest.param(
            "kota bogor",
            Region("32.71", "kota", "Kota Bogor", ("Jawa Barat", "Kota Bogor")),
            id="kota",
        ),
        pytest.param(
            "bogor", Region("32", "provinsi", "Jawa Barat", ("Jawa Barat",)), id="provinsi"
        ),
    ],
)
def test_region_fields(text: str, expected: Region) -> None:
    assert resolve_region(text) == expected


def test_shipped_list_is_whole_and_consistent() -> None:
    raw = resources.files("normalizer").joinpath("data/regions.tsv.gz").read_bytes()
    codes = [line.split("\t")[0] for line in gzip.decompress(raw).decode("utf-8").splitlines()]
    by_length = {n: sum(len(c) == n for c in codes) for n in (2, 5, 8, 13)}
    assert by_length == {2: 38, 5: 514, 8: 7285, 13: 83762}  # Kepmendagri 300.2.2-2138/2025
    known = set(codes)
    assert all(c.rpartition(".")[0] in known for c in codes if "." in c)
    preload()
    assert len(gazetteer()) == len(codes)


def test_unsorted_list_is_refused() -> None:
    with pytest.raises(ValueError, match="sorted"):
        Gazetteer("32.01\tKabupaten Bogor\n32\tJawa Barat\n")


def test_small_list_resolves_without_the_shipped_one() -> None:
    tiny = Gazetteer(
        "32\tJawa Barat\n32.01\tKabupaten Bogor\n32.01.07\tCileungsi\n"
        "32.01.07.2002\tMekarsari\n32.71\tKota Bogor\n"
    )
    assert tiny.resolve("ds mekarsari") == tiny.region("32.01.07.2002")
    assert tiny.resolve("kota bogor") == tiny.region("32.71")
    with pytest.raises(KeyError):
        tiny.region("33")


def test_builder_reads_the_sql_dump() -> None:
    from normalizer.data.build_regions import parse_dump

    sql = (
        "INSERT INTO wilayah (kode, nama)\r\nVALUES\r\n('11','Aceh'),\r\n"
        "('11.01','Kabupaten  Aceh Selatan'),\r\n('11.01.02','Kluet Utara'),\r\n"
        "('11.01.02.2018','Pasi Kuala Ba''u'),\r\n('11.01.02.2019','Bu Nuapu\u2019u');\r\n"
    )
    assert parse_dump(sql) == [
        ("11", "Aceh"),
        ("11.01", "Kabupaten Aceh Selatan"),
        ("11.01.02", "Kluet Utara"),
        ("11.01.02.2018", "Pasi Kuala Ba'u"),
        ("11.01.02.2019", "Bu Nuapu'u"),
    ]
    with pytest.raises(ValueError, match=r"no parent 11\.02"):
        parse_dump("('11','Aceh'),('11.02.01','Kluet')")
