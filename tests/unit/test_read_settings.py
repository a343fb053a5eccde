"""CASEBOOK_READ_DATABASE_URL: a PostgreSQL replica beside a PostgreSQL event store, or
nothing."""

from __future__ import annotations

import pytest

from infra.settings import Settings


def test_a_read_database_needs_postgresql_behind_both_urls() -> None:
    """A read URL beside an embedded store, or one that is not PostgreSQL, is refused."""
    with pytest.raises(ValueError, match="CASEBOOK_READ_DATABASE_URL needs PostgreSQL"):
        Settings(database_url="sqlite:///x.db", read_database_url="postgresql://h/db")
    with pytest.raises(ValueError, match="CASEBOOK_READ_DATABASE_URL needs PostgreSQL"):
        Settings(database_url="postgresql://h/db", read_database_url="sqlite:///x.db")


def test_an_empty_read_database_url_reads_from_the_primary() -> None:
    """`CASEBOOK_READ_DATABASE_URL=` is as if it were unset."""
    settings = Settings(database_url="postgresql://h/db", read_database_url="")
    assert settings.read_database_url is None
    assert settings.for_reads() is settings
