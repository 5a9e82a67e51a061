"""The console's words: Bahasa Indonesia first, English second.

The language is ``?lang=id|en`` (remembered in a cookie) or the cookie alone; Indonesian
otherwise. Every text the console shows is a key here, so a page never mixes languages
and a flash message in a redirect is a key, never text taken from the URL.
"""

from __future__ import annotations

LANGS = ("id", "en")
DEFAULT_LANG = "id"
COOKIE = "console_lang"

MESSAGES: dict[str, tuple[str, str]] = {
    # (Bahasa Indonesia, English)
    "console": ("Konsol operator", "Operator console"),
    "overview": ("Ringkasan", "Overview"),
    "dead_letters": ("Gagal kirim", "Dead letters"),
    "held": ("Pengirim ditahan", "Held senders"),
    "reports": ("Laporan", "Reports"),
    "logout": ("Keluar", "Log out"),
    "login": ("Masuk", "Log in"),
    "operator": ("Nama operator", "Operator name"),
    "password": ("Kata sandi", "Password"),
    "login_failed": ("Nama atau kata sandi salah.", "Wrong name or password."),
    "login_locked": (
        "Terlalu banyak percobaan gagal. Coba lagi dalam {minutes} menit.",
        "Too many failed attempts. Try again in {minutes} minutes.",
    ),
    "csrf_refused": (
        "Permintaan ditolak: formulir kedaluwarsa atau tidak sah. Muat ulang halaman.",
        "Request refused: the form expired or is not valid. Reload the page.",
    ),
    "logged_in_as": ("Masuk sebagai", "Logged in as"),
    # overview
    "channels_transports": ("Kanal dan transport", "Channels and transports"),
    "adapter": ("Adapter", "Adapter"),
    "state": ("Keadaan", "State"),
    "since": ("Sejak", "Since"),
    "detail": ("Keterangan", "Detail"),
    "last_problem": ("Masalah terakhir", "Last problem"),
    "up": ("NYALA", "UP"),
    "down": ("MATI", "DOWN"),
    "no_adapters": ("Tidak ada adapter yang aktif.", "No adapter is enabled."),
    "modem": ("Modem", "Modem"),
    "signal": ("Sinyal", "Signal"),
    "network": ("Jaringan", "Network"),
    "network_operator": ("Operator seluler", "Mobile operator"),
    "simulated": ("simulasi", "simulated"),
    "tps_used": ("TPS terpakai (1 mnt) / batas", "TPS in use (1 min) / limit"),
    "throttled": ("Kena throttle", "Throttled"),
    "intake": ("Laporan masuk", "Intake"),
    "channel": ("Kanal", "Channel"),
    "last_hour": ("1 jam terakhir", "Last hour"),
    "last_day": ("24 jam terakhir", "Last 24 hours"),
    "per_hour": ("per jam, 24 jam terakhir", "per hour, last 24 hours"),
    "no_intake": ("Belum ada laporan dalam 24 jam terakhir.", "No reports in the last 24 hours."),
    "outbox": ("Antrean kirim (outbox)", "Outbox"),
    "target": ("Tujuan", "Target"),
    "pending": ("Menunggu", "Pending"),
    "retrying": ("Mencoba ulang", "Retrying"),
    "oldest_waiting": ("Tertua menunggu", "Oldest waiting"),
    "outbox_empty": ("Antrean kosong.", "Nothing waiting."),
    "retrying_forwards": ("Pengiriman yang dicoba ulang", "Forwards retrying"),
    "attempts": ("Percobaan", "Attempts"),
    "next_attempt": ("Percobaan berikut", "Next attempt"),
    "reason": ("Alasan", "Reason"),
    "kind": ("Jenis", "Kind"),
    "tracking_id": ("No. laporan", "Tracking ID"),
    "core": ("Sistem inti (core)", "Core case store"),
    "core_embedded": ("tertanam (basis data yang sama)", "embedded (same database)"),
    "core_reachable": ("terjangkau", "reachable"),
    "core_unreachable": (
        "TIDAK terjangkau (dijeda {seconds} dtk lagi)",
        "NOT reachable (paused for {seconds} s more)",
    ),
    "core_failing": (
        "BERMASALAH ({count} penerusan dicoba ulang)",
        "FAILING ({count} forwards retrying)",
    ),
    "store": ("Basis data", "Store"),
    "relay": ("Relay outbox", "Outbox relay"),
    "ok": ("baik", "ok"),
    "not_ok": ("BERMASALAH", "FAILING"),
    "totals": ("Jumlah", "Totals"),
    "dead_count": ("Gagal kirim", "Dead letters"),
    "held_count": ("Baris ditahan", "Held rows"),
    "held_senders_count": ("Pengirim ditahan", "Held senders"),
    "auto_refresh": ("Diperbarui otomatis tiap 5 detik.", "Refreshes every 5 seconds."),
    "generated_at": ("Dibuat", "Generated"),
    # dead letters
    "replay": ("Kirim ulang", "Replay"),
    "replay_all": ("Kirim ulang semua", "Replay all"),
    "replay_all_confirm": (
        "Kirim ulang semua baris gagal kirim?",
        "Replay every dead letter?",
    ),
    "no_dead_letters": ("Tidak ada yang gagal kirim.", "No dead letters."),
    "updated": ("Diperbarui", "Updated"),
    "replayed": (
        "{count} baris dikirim ulang; gateway mengirimkannya sekarang.",
        "{count} row(s) replayed; the gateway delivers them now.",
    ),
    "not_dead": (
        "Tidak ada yang dikirim ulang: {problems}",
        "Nothing replayed: {problems}",
    ),
    "bad_ids": ("Nomor baris tidak sah.", "Not a valid row number."),
    "shown_first": ("Hanya {count} pertama yang ditampilkan.", "Only the first {count} shown."),
    # held
    "sender": ("Pengirim", "Sender"),
    "held_reports": ("Laporan ditahan", "Held reports"),
    "release": ("Lepaskan", "Release"),
    "release_all": ("Lepaskan semua", "Release all"),
    "release_all_confirm": ("Lepaskan semua pengirim?", "Release every held sender?"),
    "no_held": ("Tidak ada pengirim yang ditahan.", "No sender is held."),
    "released": (
        "{count} baris dilepas; gateway mengirimkannya sekarang.",
        "{count} row(s) released; the gateway delivers them now.",
    ),
    "held_explained": (
        "Laporan tetap tersimpan; yang ditahan hanya penerusan ke sistem inti dan balasan.",
        "Reports are stored; only their forward to the core and their replies are held.",
    ),
    # reports
    "search": ("Cari", "Search"),
    "search_tracking": ("Cari no. laporan", "Find a tracking ID"),
    "recent_reports": ("Laporan terbaru", "Recent reports"),
    "received_at": ("Diterima", "Received"),
    "status": ("Status", "Status"),
    "reporter": ("Pelapor", "Reporter"),
    "text": ("Isi", "Text"),
    "anonymous": ("anonim", "anonymous"),
    "confidential": ("rahasia", "confidential"),
    "confidential_hidden": (
        "(laporan rahasia: isi tidak ditampilkan)",
        "(confidential report: text not shown)",
    ),
    "no_reports": ("Belum ada laporan.", "No reports yet."),
    "not_found": ("Laporan {tracking_id} tidak ditemukan.", "No report {tracking_id}."),
    "bad_check_digit": (
        "{raw}: angka pemeriksa salah (salah ketik?).",
        "{raw}: wrong check digit (a typo?).",
    ),
    "malformed": ("{raw}: bukan nomor laporan.", "{raw}: not a tracking ID."),
    "history": ("Riwayat", "History"),
    "outbox_rows": ("Baris outbox", "Outbox rows"),
    "followups": ("Tambahan", "Follow-ups"),
    "note": ("Catatan", "Note"),
    "delivery": ("Laporan kirim", "Delivery receipt"),
    "flags": ("Tanda", "Flags"),
    "duplicate_of": ("Duplikat dari", "Duplicate of"),
    "transport": ("Transport", "Transport"),
    "category": ("Kategori", "Category"),
    "none": ("-", "-"),
    "page_not_found": ("Halaman tidak ditemukan.", "Page not found."),
}


def pick_lang(query: str | None, cookie: str | None) -> str:
    for value in (query, cookie):
        if value in LANGS:
            return value
    return DEFAULT_LANG


def translate(lang: str, key: str, **params: object) -> str:
    """The text of *key* in *lang* with ``{name}`` filled from *params*."""
    texts = MESSAGES[key]
    text = texts[LANGS.index(lang)] if lang in LANGS else texts[0]
    return text.format(**params) if params else text
