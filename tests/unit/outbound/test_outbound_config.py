"""config/dialer.yaml: the shipped file loads; every problem is named by file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import ConfigError
from ivr.outbound.config import load_dialer_config

ROOT = Path(__file__).resolve().parents[3]


def test_the_shipped_policies_load() -> None:
    policies = load_dialer_config(ROOT / "config" / "dialer.yaml")
    margin = policies["margin_notice"]
    assert (margin.flow, margin.caller_id, margin.window.kind, margin.max_attempts) == (
        "margin_notice", "95555", "trading", 3,
    )  # fmt: skip
    assert policies["survey"].window.kind == "daily"


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dialer.yaml"
    path.write_text(
        "kinds:\n"
        "  margin_notice:\n"
        "    flow: margin_notice\n"
        "    caller_id: '95555'\n"
        "    window: sometimes\n"
        "    max_attempts: 3\n"
        "  survey:\n"
        "    flow: survey\n"
        "    caller_id: '95555'\n"
        "    window: daily\n"
        "    max_attempts: 2\n"
        "    retry_after_s: {busy: soon, lunch: 5}\n"
        "    retries: 4\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_dialer_config(path)
    assert str(caught.value).splitlines() == [
        f"{path}:5: kinds.margin_notice.window: 'sometimes' is not a window; use trading or daily",
        f"{path}:13: kinds.survey.retries: unknown key; known: caller_id, end, flow, lead_min,"
        " max_attempts, retry_after_s, start, window",
        f"{path}:12: kinds.survey.retry_after_s.busy: 'soon' is not a number; write e.g. 300",
        f"{path}:12: kinds.survey.retry_after_s.lunch: not a retryable result; use busy,"
        " no_answer, failed, no_confirmation",
    ]
