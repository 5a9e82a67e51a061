"""``[gateway] database``: a SQLite file or a PostgreSQL URL, each opening its backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, parse_config
from gateway.store.backends import reader_for, store_for
from gateway.store.postgres import PostgresReader, PostgresStore
from gateway.store.reader import SqliteReader
from gateway.store.sqlite import SqliteStore


def test_postgresql_url_with_password_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text('[gateway]\ndatabase = "postgresql://lapor:${PGPASS}@db.internal:5432/lapor"\n')
    config = load_config(path, env={"PGPASS": "s3cret"})
    assert config.gateway.database == "postgresql://lapor:s3cret@db.internal:5432/lapor"
    assert config.gateway.is_postgresql  # left as it is, not made a path
    assert isinstance(store_for(config.gateway), PostgresStore)
    assert isinstance(reader_for(config.gateway), PostgresReader)


def test_sqlite_path_still_resolves_against_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text('[gateway]\ndatabase = "sqlite:///data/x.db"\n')
    config = load_config(path, env={})
    assert config.gateway.database_path == tmp_path / "data" / "x.db"
    assert isinstance(store_for(config.gateway), SqliteStore)
    assert isinstance(reader_for(config.gateway), SqliteReader)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        pytest.param("mysql://h/db", "sqlite:///PATH (one instance) or postgresql://", id="scheme"),
        pytest.param("sqlite:///", "needs a file path", id="sqlite-empty"),
        pytest.param("postgresql:///lapor", "without a host", id="no-host"),
        pytest.param("postgresql://u:p@h:5432", "without a database name", id="no-db"),
        pytest.param("postgresql://u:p@h:port/db", "not a valid postgresql:// URL", id="bad-port"),
    ],
)
def test_bad_database_is_an_error_naming_the_key(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"gateway": {"database": url}}, env={})
    (problem,) = err.value.problems
    assert problem.startswith("gateway.database: ") and says in problem, problem


def test_a_password_never_appears_in_the_error() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"gateway": {"database": "postgresql://u:hunter2@h:x/db"}}, env={})
    assert "hunter2" not in str(err.value)


def test_unset_password_variable_names_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"gateway": {"database": "postgresql://u:${PG_UNSET}@h/db"}}, env={})
    assert err.value.problems == ["gateway.database: environment variable PG_UNSET is not set"], (
        err.value.problems
    )


def test_check_config_warns_that_a_forwarder_process_is_not_used_on_postgresql() -> None:
    from gateway.config_check import database_warnings

    doc = {"gateway": {"database": "postgresql://u@h/db"}, "outbox": {"core_forwarder": "process"}}
    (warning,) = database_warnings(parse_config(doc, env={}))
    assert warning.startswith("outbox.core_forwarder: ")
    assert database_warnings(parse_config({"outbox": {"core_forwarder": "process"}}, env={})) == []
