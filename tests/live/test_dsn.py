"""DSN parsing and redaction: the password must never leak into anything printable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.live.dsn import DsnError, parse_dsn, redact_text


def test_postgres_dsn_parts_and_redacted_str() -> None:
    dsn = parse_dsn("postgresql://mon:s3cr%40t@db.internal:6543/app?sslmode=require")
    assert (dsn.family, dsn.host, dsn.port, dsn.user, dsn.password, dsn.database) == (
        "postgres",
        "db.internal",
        6543,
        "mon",
        "s3cr@t",
        "app",
    )
    assert dsn.options == (("sslmode", "require"),)
    assert str(dsn) == "postgresql://mon:***@db.internal:6543/app"
    assert "s3cr" not in repr(dsn)
    assert dsn.endpoint == "db.internal:6543"
    assert not dsn.is_local


def test_mysql_and_mariadb_schemes_default_ports_and_loopback() -> None:
    mysql = parse_dsn("mysql://root@127.0.0.1/")
    maria = parse_dsn("mariadb://u:p@localhost:3307/shop")
    assert (mysql.family, mysql.port, mysql.database, mysql.is_local, str(mysql)) == (
        "mysql",
        3306,
        "",
        True,
        "mysql://root@127.0.0.1:3306/",
    )
    assert (maria.family, maria.port, maria.database, maria.is_local) == ("mysql", 3307, "shop", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("oracle://u:pw@h/db", "must start with one of postgres://, postgresql://, mysql://, mariadb://"),
        ("postgresql://u:pw@:5432/db", "names no host"),
        ("postgresql://u:pw@h:notaport/db", "cannot parse DSN"),
    ],
)
def test_bad_dsns_say_why_without_the_password(text: str, message: str) -> None:
    with pytest.raises(DsnError) as info:
        parse_dsn(text)
    assert message in str(info.value)
    assert ":pw@" not in str(info.value)


def test_redact_text_hides_url_and_keyword_passwords_and_given_secrets() -> None:
    text = "failed: postgresql://a:hunter2@h/db password=hunter2 and 'token-xyz' again"
    assert redact_text(text, "token-xyz") == "failed: postgresql://a:***@h/db password=*** and '***' again"


_PW_CHARS = st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="@/?#[]%")


@given(st.text(alphabet=_PW_CHARS, min_size=1))
def test_no_password_survives_str_or_redaction(tail: str) -> None:
    password = f"pw!{tail}"  # "!" appears nowhere else in the DSN, so any hit is a leak
    dsn = parse_dsn(f"postgresql://monitor:{password}@db.example:5432/app")
    assert dsn.password == password
    assert password not in str(dsn)
    assert password not in dsn.redact(f"FATAL: password authentication failed ({password})")
