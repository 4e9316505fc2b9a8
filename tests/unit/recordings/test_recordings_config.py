"""`config/recordings.yaml`: the shipped file loads; bad files list every error at file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from recordings.config import RecordingsConfig, load_recordings_config, parse_recordings_config
from recordings.errors import RecordingsConfigErrors

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_config_keeps_order_records_20_years() -> None:
    config = load_recordings_config(ROOT / "config" / "recordings.yaml")
    years = {purpose: rule.years for purpose, rule in config.policy.rules.items()}
    assert years == {
        "emergency": 20,
        "voice_order": 20,
        "callback": 20,
        "margin_notice": 20,
        "complaint": 5,
        "suggestion": 5,
        "message": 5,
    }
    assert config.policy.timezone == "Asia/Shanghai"
    assert (config.stale_open_s, config.pick_up_settle_s) == (6 * 3600.0, 5.0)


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_recordings_config(tmp_path / "absent.yaml") == RecordingsConfig()


BAD = """\
timezone: Mars/Olympus
retention:
  emergency: {years: 10, order_record: true}
  complaint: {years: five}
  Bad-Name: {years: 1}
  memo: {}
stale_open_hours: soon
colour: red
"""


def test_every_problem_is_reported_in_file_order() -> None:
    with pytest.raises(RecordingsConfigErrors) as caught:
        parse_recordings_config(BAD, "rec.yaml")
    assert str(caught.value).splitlines() == [
        "rec.yaml:1:11: 'timezone' 'Mars/Olympus' is not a known IANA zone, e.g. Asia/Shanghai",
        "rec.yaml:3:22: retention of 'emergency' is 10 years; order records must be kept at"
        " least 20 years (期货和衍生品法 §117)",
        "rec.yaml:4:22: retention 'complaint': 'years' must be a whole number (got 'five')",
        "rec.yaml:5:3: purpose 'Bad-Name' must be lowercase letters, digits or '_'",
        "rec.yaml:6:9: retention 'memo': give 'years' (and/or 'days')",
        "rec.yaml:7:19: 'stale_open_hours' must be a number (got 'soon')",
        "rec.yaml:8:1: the recordings config: unknown key 'colour' (expected timezone,"
        " retention, stale_open_hours, pick_up_settle_s)",
    ]
