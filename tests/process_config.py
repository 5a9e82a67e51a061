"""The head of a config file for a gateway started as a process by a test: its own data
folder and SQLite file under the test's temporary folder, and its HTTP port on 127.0.0.1.

Each test appends the sections it is about; only this head is the same everywhere."""

from __future__ import annotations

from pathlib import Path


def config_head(tmp: Path, port: int, *, log_level: str = "WARNING", gateway: str = "") -> str:
    """``[gateway]`` (data under *tmp*, ``lapor.db`` there, *log_level*, then the lines of
    *gateway*) and ``[http]`` on 127.0.0.1:*port*, as TOML text ending in a newline."""
    extra = f"{gateway.strip()}\n" if gateway.strip() else ""
    return (
        "[gateway]\n"
        f'data_dir = "{tmp / "data"}"\n'
        f'database = "sqlite:///{tmp / "lapor.db"}"\n'
        f'log_level = "{log_level}"\n'
        f"{extra}"
        "[http]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
    )
