"""Who the REST channel answers: a caller with the token, or (without one) loopback only."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from bot.channels.rest import CheckedRestInput, is_loopback, refusal


def request(ip: str, authorization: str | None = None) -> SimpleNamespace:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return SimpleNamespace(headers=headers, conn_info=SimpleNamespace(client_ip=ip))


@pytest.mark.parametrize("ip", ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"])
def test_without_a_token_loopback_callers_are_answered(ip: str) -> None:
    assert is_loopback(ip)
    assert refusal(request(ip), token="") is None


@pytest.mark.parametrize("ip", ["10.0.0.5", "192.168.1.20", "2001:db8::1", "", "nonsense"])
def test_without_a_token_other_callers_get_403(ip: str) -> None:
    answer = refusal(request(ip), token="")
    assert answer is not None and answer.status == 403


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer wrong", "bearer s3cret", "s3cret", "Basic s3cret"]
)
def test_with_a_token_a_request_without_it_gets_401_even_on_loopback(authorization) -> None:
    answer = refusal(request("127.0.0.1", authorization), token="s3cret")
    assert answer is not None and answer.status == 401


def test_with_a_token_the_right_bearer_is_answered_from_anywhere() -> None:
    assert refusal(request("10.0.0.5", "Bearer s3cret"), token="s3cret") is None


@pytest.mark.parametrize(
    ("token", "line"),
    [("", "answering loopback callers only"), ("s3cret", "every request needs the bearer")],
)
def test_start_up_says_in_one_line_who_is_answered(caplog, token: str, line: str) -> None:
    with caplog.at_level(logging.INFO, logger="bot.channels.rest"):
        CheckedRestInput(token=token).blueprint(lambda message: None)
    assert [r.getMessage() for r in caplog.records if line in r.getMessage()] != []
    # its own line only (other loggers may write, asyncio about other tests' tasks)
    assert len([r for r in caplog.records if r.name == "bot.channels.rest"]) == 1
    assert "s3cret" not in caplog.text
