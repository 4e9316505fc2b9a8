"""The wallboard's colour thresholds: the shipped file, defaults, the colour rule, and every
mistake of the file reported at its line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import ErrorList
from ivr.queue.thresholds import Bound, WallboardThresholds, load_thresholds, parse_thresholds

ROOT = Path(__file__).resolve().parents[3]


def test_the_shipped_file_is_the_defaults_and_a_missing_file_too(tmp_path: Path) -> None:
    assert load_thresholds(ROOT / "config/wallboard.yaml") == WallboardThresholds()
    assert load_thresholds(tmp_path / "none.yaml") == WallboardThresholds()
    assert WallboardThresholds().as_json() == {
        "service_level_pct": {"amber_below": 80.0, "red_below": 60.0},
        "longest_wait_s": {"amber_above": 30.0, "red_above": 60.0},
        "abandon_rate_pct": {"amber_above": 5.0, "red_above": 10.0},
    }


def test_levels_beyond_each_bound() -> None:
    t = WallboardThresholds()
    sl, wait = t.service_level_pct, t.longest_wait_s
    assert [sl.level(v) for v in (None, 80, 79.9, 60, 59.9)] == [
        "green", "green", "amber", "amber", "red",
    ]  # fmt: skip
    assert [wait.level(v) for v in (0, 30, 30.1, 60, 61)] == [
        "green", "green", "amber", "amber", "red",
    ]  # fmt: skip


def test_a_partial_file_keeps_the_other_defaults() -> None:
    t = parse_thresholds("longest_wait_s: {red_above: 120}\n", "w.yaml")
    assert t.longest_wait_s == Bound(30.0, 120.0, below=False)
    assert t.service_level_pct == WallboardThresholds().service_level_pct


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service_level: {amber_below: 80}\n",
         "w.yaml:1:1: unknown key 'service_level' (did you mean 'service_level_pct'?) "
         "(expected service_level_pct, longest_wait_s, abandon_rate_pct)"),
        ("longest_wait_s: {amber_below: 80}\n",
         "w.yaml:1:18: longest_wait_s: unknown key 'amber_below' (did you mean 'amber_above'?) "
         "(expected amber_above or red_above)"),
        ("abandon_rate_pct: {amber_above: 120}\n",
         "w.yaml:1:33: abandon_rate_pct.amber_above must be a percentage from 0 to 100 "
         "(got '120')"),
        ("longest_wait_s: {red_above: soon}\n",
         "w.yaml:1:29: longest_wait_s.red_above must be a number of seconds, 0 or more "
         "(got 'soon')"),
        ("service_level_pct: {amber_below: 70, red_below: 75}\n",
         "w.yaml:1:49: service_level_pct.red_below (75) must be at most amber_below (70): "
         "red is the worse colour"),
        ("longest_wait_s: 30\n",
         "w.yaml:1:17: longest_wait_s must be a mapping with amber_above and red_above"),
        ("- 1\n", "w.yaml:1:1: the file must be a mapping of service_level_pct, longest_wait_s, "
         "abandon_rate_pct"),
        ("", "w.yaml:1:1: the file is empty"),
    ],
)  # fmt: skip
def test_mistakes_are_located_and_named(text: str, message: str) -> None:
    with pytest.raises(ErrorList) as caught:
        parse_thresholds(text, "w.yaml")
    assert str(caught.value) == message


def test_every_mistake_of_a_file_is_reported_at_once() -> None:
    text = "longest_wait_s: {red_above: -1}\nabandon_rate_pct: {amber_above: 20, red_above: 10}\n"
    with pytest.raises(ErrorList) as caught:
        parse_thresholds(text, "w.yaml")
    assert [e.line for e in caught.value.errors] == [1, 2]
