"""No part of a password in any message: DSNs whose password holds unencoded ``# / ? @ :`` parse, and those
that cannot be parsed are refused without quoting it; ``diagnose`` reads ``$SLEUTH_DSN`` as its help says."""

from __future__ import annotations

import re
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.live.dsn import ENCODING_HINT, DsnError, parse_dsn
from tui.cli import main

# Characters a generic URL parser cuts a password at, with the ones that make it a marker we can find.
_SPECIAL = st.sampled_from(
    ["#", "/", "?", "@", ":", "!", "$", "&", "'", "(", "*", "+", ",", ";", "=", "[", "]"]
)
_PASSWORD = st.lists(
    st.one_of(_SPECIAL, st.sampled_from(["Secr3t", "Xq9", "zz"])), min_size=1, max_size=8
).map("".join)
_TOKENS = ("Secr3t", "Xq9")


def _leaks(text: str, password: str) -> list[str]:
    """Parts of ``password`` found in ``text``: its marker tokens, and any run of 5 of its characters."""
    found = [t for t in _TOKENS if t in password and t in text]
    found += [password[i : i + 5] for i in range(len(password) - 4) if password[i : i + 5] in text]
    return found


@given(
    password=_PASSWORD,
    port=st.sampled_from(["", ":5432", ":6543"]),
    tail=st.sampled_from(["/app", "/app?sslmode=require", ""]),
)
def test_a_password_with_unencoded_url_characters_parses_exactly(password: str, port: str, tail: str) -> None:
    dsn = parse_dsn(f"postgresql://monitor:{password}@db.example{port}{tail}")
    assert (dsn.user, dsn.password, dsn.host) == ("monitor", password, "db.example")
    assert dsn.port == (int(port[1:]) if port else 5432)
    assert dsn.database == ("app" if tail else "")
    assert not _leaks(str(dsn) + repr(dsn), password)


@given(
    password=_PASSWORD,
    broken=st.sampled_from(
        [
            "postgresql://monitor:{pw}@db.example:port/app",
            "postgresql://monitor:{pw}@:5432/app",
            "postgresql://monitor:{pw}@db.example:99999/app",
            "postgresql://monitor:{pw}@db example/app",
            "oracle://monitor:{pw}@db.example/app",
            "monitor:{pw}@db.example/app",
        ]
    ),
)
def test_a_dsn_that_cannot_be_used_is_refused_without_any_part_of_the_password(
    password: str, broken: str
) -> None:
    with pytest.raises(DsnError) as info:
        parse_dsn(broken.format(pw=password))
    assert not _leaks(str(info.value), password), str(info.value)


@given(password=_PASSWORD.filter(lambda pw: "@" not in pw and any(t in pw for t in _TOKENS)))
def test_a_dsn_with_no_host_is_refused_although_its_password_looks_like_a_port(password: str) -> None:
    """With no ``@`` the password's start reads as a port: refused, and nothing of it quoted."""
    with pytest.raises(DsnError) as info:
        parse_dsn(f"postgresql://monitor:{password}")
    assert not _leaks(str(info.value), password), str(info.value)


def test_the_reported_case_parses_and_a_cut_one_says_how_to_encode(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert parse_dsn("postgresql://u:Secr3tPrefix#rest@db:5432/app").password == "Secr3tPrefix#rest"
    code = main(["collect", "--dsn", "postgresql://u:Secr3tPrefix#rest", "--out", "never.json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "error: cannot parse DSN 'postgresql://u': the port is not a number from 1 to 65535; "
        f"{ENCODING_HINT}\n"
    )
    assert "Secr3t" not in err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_diagnose_collects_from_sleuth_dsn_without_printing_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    monkeypatch.setenv("SLEUTH_DSN", f"postgresql://monitor:Secr3t#/x@127.0.0.1:{port}/app")
    code = main(["diagnose", "--no-llm", "--duration", "1s"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert re.match(rf"error: cannot connect to postgresql://monitor:\*\*\*@127\.0\.0\.1:{port}/app: ", err)
    assert "Secr3t" not in err


def test_collect_reads_sleuth_dsn_through_the_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    port = _closed_port()
    monkeypatch.setenv("SLEUTH_DSN", f"mysql://monitor:Secr3t?@127.0.0.1:{port}/")
    assert main(["collect", "--duration", "1s", "--out", f"{tmp_path}/c.json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot connect to mysql://monitor:***@127.0.0.1:{port}/")
    assert "Secr3t" not in err
