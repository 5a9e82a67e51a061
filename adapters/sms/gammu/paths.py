"""Where libgammu's dummy modems live: a relative dummy folder is resolved against the
config file's folder, like every other path in ``config.toml`` (the registry's
``resolve_paths`` hook for ``[adapters.sms]``; no libgammu needed to load a config)."""

from __future__ import annotations

from pathlib import Path

from adapters.sms.config import SmsConfig


def resolve_modem_folders(sms: SmsConfig, base: Path) -> SmsConfig:
    """*sms* with every relative dummy modem folder made absolute against *base*."""
    modems = [
        m.model_copy(update={"device": str((base / m.device).resolve())})
        if m.is_dummy and not Path(m.device).is_absolute()
        else m
        for m in sms.gammu.modems
    ]
    gammu = sms.gammu.model_copy(update={"modems": modems})
    return sms.model_copy(update={"gammu": gammu})
