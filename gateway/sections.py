"""The core's own config: every section but the adapters' (``[adapters.*]``).

The core (pipeline, dedup, linker, flood, templates, delivery, forwarder) reads its settings
from here and knows no adapter; :mod:`gateway.config` (wiring) adds each adapter's section,
declared on its registry entry, and loads the file. Every model rejects unknown keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from gateway.settings_base import Settings


class GatewaySection(Settings):
    data_dir: Path = Path("data")
    database: str = "sqlite:///data/lapor.db"
    country: str = "ID"
    timezone: str = "Asia/Jakarta"
    log_level: str = "INFO"
    #: largest accepted HTTP body (JSON); uploads have their own limit
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    #: seconds SIGTERM waits for in-flight work before giving up
    shutdown_grace_s: float = 10.0

    @field_validator("database")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("sqlite:///"):
            if value == "sqlite:///":
                raise ValueError("sqlite:/// needs a file path")
            return value
        if value.startswith(POSTGRESQL_SCHEMES):
            _check_postgresql_url(value)
            return value
        raise ValueError(
            "sqlite:///PATH (one instance) or postgresql://USER:PASSWORD@HOST:PORT/DBNAME "
            "(several instances sharing one database)"
        )

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @property
    def is_postgresql(self) -> bool:
        return self.database.startswith(POSTGRESQL_SCHEMES)

    @property
    def database_path(self) -> Path:
        """The SQLite file (only for a ``sqlite:///`` database)."""
        if self.is_postgresql:
            raise ValueError("gateway.database is PostgreSQL, not a file")
        return Path(self.database.removeprefix("sqlite:///"))


#: the URL schemes of a PostgreSQL ``database`` (libpq accepts both)
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


def _check_postgresql_url(value: str) -> None:
    """A PostgreSQL URL names a host and a database; the message never repeats the URL
    (it may carry the password)."""
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        raise ValueError(
            "not a valid postgresql:// URL (a special character in the "
            "password must be percent-encoded, e.g. @ as %40)"
        ) from None
    if not url.hostname:
        raise ValueError("postgresql:// URL without a host")
    if not url.path.strip("/"):
        raise ValueError("postgresql:// URL without a database name (…/DBNAME)")


class HttpSection(Settings):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    #: clients whose status lookups are limited, requests per minute per address
    status_rate_per_min: int = 60
    #: a connection that sends no complete request for this long is closed (idle keep-alive,
    #: or headers trickled in slowloris-style)
    idle_timeout_s: float = Field(default=15.0, gt=0)
    #: a request (body read included) not answered within this is cut off with 408
    request_timeout_s: float = Field(default=30.0, gt=0)


class RetrySection(Settings):
    #: forwards give up only after a week of failures at the backoff cap: a core outage is
    #: not the report's fault, and a dead-lettered forward would arrive out of order
    max_attempts: int = Field(default=700, ge=1)
    initial_backoff_s: float = Field(default=1.0, gt=0)
    max_backoff_s: float = Field(default=900.0, gt=0)


class CoreSection(Settings):
    #: empty: the embedded case store (a table in the gateway's database)
    url: str = ""
    token: SecretStr = SecretStr("")
    #: secret the core signs POST /v1/core/events with
    events_secret: SecretStr = SecretStr("")
    connect_timeout_s: float = 5.0
    timeout_s: float = 15.0
    retry: RetrySection = Field(default_factory=RetrySection)


class OutboxSection(Settings):
    poll_interval_s: float = Field(default=0.5, gt=0)
    batch_size: int = Field(default=100, ge=1)
    concurrency: int = Field(default=16, ge=1)
    #: after a wake-up the relay waits this long before reading due rows, so one pass
    #: carries every row committed meanwhile (adds at most this to forwarding latency)
    linger_s: float = Field(default=0.05, ge=0, le=5)
    #: ... but only while the relay is busy: at this many wake-ups (commits) or rows per
    #: second or more; at a lower rate a wake-up starts its pass at once (0: always linger)
    linger_from_per_s: float = Field(default=150.0, ge=0)
    #: "process": reports go to the core from a second process (its own CPU core; see
    #: gateway/forwarder.py); "inline": from the main process (one process in all)
    core_forwarder: Literal["inline", "process"] = "inline"
    #: on a postgresql database: how long a row an instance claimed stays its own; longer
    #: than one delivery attempt, and how long the rows of a dead instance wait for another
    claim_lease_s: float = Field(default=60.0, ge=1, le=3600)
    #: acks and callbacks give up (dead letter) after this many attempts
    max_attempts: int = Field(default=12, ge=1)
    #: a peer that throttles us (SMPP ESME_RTHROTTLED) is flow control, not failure: such a
    #: send spends no attempt, and the row gives up only once it has been queued this long
    throttled_give_up_after_s: float = Field(default=21600.0, ge=60, le=7 * 86400)


DEFAULT_TEMPLATES: dict[str, str] = {
    "received": "LAPOR! Laporan Anda diterima. No: {tracking_id}. Cek status: CEK {tracking_id} ke 1708",
    "duplicate": "LAPOR! Laporan ini sudah kami terima sebelumnya dgn No: {tracking_id}. Tidak perlu dikirim ulang.",
    "addendum": "LAPOR! Tambahan informasi Anda sudah kami catat pada laporan No: {tracking_id}. Terima kasih.",
    "status": "LAPOR! No {tracking_id}: status {status}. {note}",
    "status_update": "LAPOR! No {tracking_id} kini {status}. {note}",
    "help": "LAPOR! 1708: ketik keluhan Anda lalu kirim ke 1708. Cek: CEK <nomor>. Rahasia: awali RAHASIA. Anonim: ANONIM",
    "help_whatsapp": "LAPOR! Tulis keluhan Anda di sini (boleh dengan foto dan lokasi). Cek: CEK <nomor>. Rahasia: awali RAHASIA. Anonim: ANONIM",
    "invalid_tracking_id": "LAPOR! Nomor {tracking_id} salah ketik. Periksa kembali nomor laporan Anda.",
    "not_found": "LAPOR! Nomor {tracking_id} tidak ditemukan. Periksa kembali nomor laporan Anda.",
    "opted_out": "LAPOR! Anda tidak akan menerima kabar status lagi. Kirim LAPOR untuk melapor.",
}

STATUS_LABELS_ID: dict[str, str] = {
    "received": "diterima",
    "verified": "diverifikasi",
    "forwarded": "diteruskan ke instansi",
    "in_progress": "sedang diproses",
    "responded": "sudah ditanggapi",
    "closed": "selesai",
    "rejected": "ditolak",
    # level-2 repeats have these statuses; a CEK on one must not answer in English
    "duplicate": "laporan ulang (lihat laporan pertama)",
    "addendum": "tambahan untuk laporan sebelumnya",
}


class AcksSection(Settings):
    templates: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    status_labels: dict[str, str] = Field(default_factory=lambda: dict(STATUS_LABELS_ID))
    #: statuses whose change is pushed to the citizen (status_update template)
    notify_statuses: list[str] = Field(
        default_factory=lambda: ["verified", "forwarded", "responded", "closed", "rejected"]
    )

    @field_validator("templates")
    @classmethod
    def _complete(cls, value: dict[str, str]) -> dict[str, str]:
        merged = dict(DEFAULT_TEMPLATES)
        merged.update(value)
        for key, template in merged.items():
            try:
                template.format_map(_Probe())
            except (ValueError, IndexError) as exc:
                raise ValueError(f"template {key!r} is not a valid format string: {exc}") from exc
        return merged


class _Probe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


PartitionKey = Literal["region", "category"]


def _region_only() -> list[PartitionKey]:
    return ["region"]


class DedupSection(Settings):
    """Duplicate detection (README "Duplicate detection"; thresholds chosen on the
    development half of tests/data/dedup_eval, scored on the held-out half)."""

    #: same reporter, same complaint within this window -> level 2 (merge or possible link)
    window_hours: float = 72.0
    #: character similarity (0-1) of the normalized texts at or above which a resend with
    #: typos is merged into the first report
    typo_ratio: float = Field(default=0.95, gt=0, le=1)
    #: a new text that is the start of an earlier one (an SMS cut short) is merged when it
    #: has at least this many words
    truncation_min_words: int = Field(default=6, ge=2)
    #: a later text containing this share of an earlier one's word pairs, plus at least
    #: addendum_min_new_words new words, is an addendum (new detail), not a new case
    containment_threshold: float = Field(default=0.9, ge=0, le=1)
    addendum_min_new_words: int = Field(default=3, ge=1)
    #: content-term overlap (same reporter) at or above which a new case carries a
    #: possible_duplicate_of link to the earlier one
    possible_threshold: float = Field(default=0.3, gt=0, le=1)
    #: weighted similarity at or above which other reporters' reports are linked (level 3)
    similar_threshold: float = Field(default=0.3, gt=0, le=1)
    #: added to a level-3 score when both texts name the same specific place (street,
    #: desa, landmark): several citizens naming one spot is strong evidence of one problem
    fact_bonus: float = Field(default=0.15, ge=0, le=1)
    similar_window_days: float = 30.0
    max_similar_links: int = 5
    #: most candidates scored per level-3 query (keeps one very common complaint cheap)
    max_candidates: int = Field(default=20, ge=1)
    #: do not link reports whose region / category are both known and differ
    partition_by: list[PartitionKey] = Field(default_factory=lambda: _region_only())


class FloodSection(Settings):
    #: per reporter identity: burst and sustained rate (messages per minute)
    sender_burst: int = 10
    sender_per_min: float = 6.0
    #: per channel
    channel_burst: int = 2000
    channel_per_s: float = 500.0
    #: webhook intake answers 503 when this many outbox rows are pending
    max_outbox_backlog: int = 100_000


class OperatorAccount(Settings):
    """One console operator: a name and an argon2 hash (``lapor-gateway operator add``)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password_hash: SecretStr

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("$argon2"):
            raise ValueError("must be an argon2 hash (lapor-gateway operator add NAME)")
        return value


class LockoutSection(Settings):
    """Failed logins tolerated before a pause (per account and per client address)."""

    #: failures of one account within window_s that lock it
    account_failures: int = Field(default=5, ge=1)
    #: failures from one client address within window_s that lock that address
    source_failures: int = Field(default=20, ge=1)
    window_s: float = Field(default=900.0, gt=0)
    #: how long a locked account or address is refused (its password is not even checked)
    lock_s: float = Field(default=900.0, gt=0)


class ConsoleSection(Settings):
    """The operator console at ``/console`` (gateway/console/); off unless enabled."""

    enabled: bool = False
    operators: list[OperatorAccount] = Field(default_factory=list)
    #: signs session cookies and CSRF tokens; at least 32 characters, from ``${ENV}``
    session_secret: SecretStr = SecretStr("")
    #: a session ends this long after login
    session_ttl_s: float = Field(default=8 * 3600.0, gt=0)
    #: the cookie's Secure flag: "auto" when the request came over https; "always" behind a
    #: TLS-terminating proxy (the gateway then sees http); "never" for plain-http test setups
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    lockout: LockoutSection = Field(default_factory=LockoutSection)

    @field_validator("operators")
    @classmethod
    def _unique(cls, value: list[OperatorAccount]) -> list[OperatorAccount]:
        names = [op.name for op in value]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError("operator names must be unique: " + ", ".join(repeated))
        return value

    @model_validator(mode="after")
    def _usable(self) -> ConsoleSection:
        if self.enabled:
            if len(self.session_secret.get_secret_value()) < 32:
                raise ValueError("session_secret: at least 32 characters when enabled")
            if not self.operators:
                raise ValueError("operators: at least one operator when enabled")
        return self


class GatewayConfig(Settings):
    """Every section the core reads; :class:`gateway.config.Config` adds ``adapters``."""

    gateway: GatewaySection = Field(default_factory=GatewaySection)
    http: HttpSection = Field(default_factory=HttpSection)
    core: CoreSection = Field(default_factory=CoreSection)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    acks: AcksSection = Field(default_factory=AcksSection)
    dedup: DedupSection = Field(default_factory=DedupSection)
    flood: FloodSection = Field(default_factory=FloodSection)
    console: ConsoleSection = Field(default_factory=ConsoleSection)


def template_warnings(
    config: GatewayConfig, sample_tracking_id: str = "1234-5678-9012"
) -> list[str]:
    """Templates that, filled with a realistic ID, no longer fit one GSM-7 SMS segment."""
    from normalizer.gsm import fits_one_segment

    warnings = []
    params = _Probe(
        tracking_id=sample_tracking_id,
        status="sedang diproses",
        note="",
        agency="",
        date="25/11/2026",
    )
    for key, template in config.acks.templates.items():
        text = " ".join(template.format_map(params).split())
        if not fits_one_segment(text):
            warnings.append(
                f"acks.templates.{key}: does not fit one 160-character GSM-7 SMS segment "
                f"when filled ({len(text)} characters)"
            )
    return warnings
