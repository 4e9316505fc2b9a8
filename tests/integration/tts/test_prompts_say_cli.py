"""`ivr prompts say`: the normalised text on the first line, espeak-ng's phonemes after it;
bad input is one clear line and exit 2."""

from __future__ import annotations

import pytest

from ivr.cli import main
from ivr.prompts.phonemes import phonemes


def say(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    status = main(["prompts", "say", *argv])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def test_prints_the_spoken_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert say(capsys, "价格{p:decimal}元", "--lang", "zh-CN", "--set", "p=3580.5") == (
        0,
        ["价格三千五百八十点五元"],
        "",
    )


def test_several_slots_and_english(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = say(
        capsys, "{c:contract} at {t:time}, {n:lots} lots", "--lang", "en",
        "--set", "c=rb2505", "--set", "t=21:30", "--set", "n=2",
    )  # fmt: skip
    assert (status, out) == (0, ["rebar two five zero five at nine thirty p.m., two lots"])


def test_phonemes_follow_with_the_languages_voice(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = say(capsys, "合约{m:month}", "--set", "m=2505", "--phonemes")
    assert status == 0
    assert out[0] == "合约二五零五"
    assert out[1:] == phonemes("he2 yue1 er4 wu3 ling2 wu3", "cmn-latn-pinyin").splitlines()
    assert "l'i35N" in out[1]  # 零: the month is read digit by digit


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["价格{p:decimal}元", "--set", "p=abc"],
         "ivr: --set p=abc: slot type 'decimal' cannot speak 'abc': expected a number, integer "
         "or with a fraction: 3580.5"),
        (["价格{p:decimal}元"], "ivr: slot '{p:decimal}' has no value: add --set p=VALUE"),
        (["价格{p}元", "--set", "p=3580.5"],
         "ivr: slot '{p}' is untyped but its value '3580.5' holds a number; write it typed, e.g. "
         "{p:decimal} (slot types: digits, decimal, money, pnl, percent, lots, month, contract, "
         "date, time, datetime, phone, account, trades)"),
        (["{p:dec}", "--set", "p=1"],
         "ivr: slot '{p:dec}': unknown slot type 'dec' (did you mean 'decimal'?) (types: digits, "
         "decimal, money, pnl, percent, lots, month, contract, date, time, datetime, phone, "
         "account, trades)"),
        (["{p:decimal}", "--set", "p"], "ivr: --set 'p' must be NAME=VALUE, e.g. --set p=3580.5"),
        (["{p:decimal}", "--lang", "ko", "--set", "p=1"],
         "ivr: --lang 'ko' has no spoken forms (use zh-CN or en)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert say(capsys, *argv) == (2, [], message + "\n")
