"""Every purpose a whole call is recorded for must have a retention: checked when the app starts.

`calls.recorded_flows` (settings) names a recording purpose per flow, and recorded callbacks
use `callback`; a purpose `config/recordings.yaml` does not keep would only show at answer,
call by call, as a recording that cannot be opened. The app refuses to start instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.app.parts import check_recorded_purposes
from ivr.errors import ConfigError
from ivr.settings import Settings
from recordings.config import load_recordings_config

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "recordings.yaml"


def test_the_shipped_settings_and_retention_agree() -> None:
    kept = load_recordings_config(SHIPPED).policy.rules
    check_recorded_purposes(Settings().calls.recorded_flows, kept, SHIPPED)


def test_a_recorded_flow_whose_purpose_is_not_kept_names_the_setting_and_the_fix() -> None:
    kept = load_recordings_config(SHIPPED).policy.rules
    flows = {"emergency": "emergency", "consult": "consulting"}
    with pytest.raises(ConfigError) as caught:
        check_recorded_purposes(flows, kept, SHIPPED)
    assert str(caught.value) == (
        f"calls.recorded_flows.consult: recording purpose 'consulting' has no retention in "
        f"{SHIPPED} (it keeps: {', '.join(sorted(kept))}): add it under 'retention:' or use one "
        "of those"
    )


def test_recorded_callbacks_need_the_callback_purpose(tmp_path: Path) -> None:
    path = tmp_path / "recordings.yaml"
    path.write_text("retention:\n  emergency:\n    years: 20\n    order_record: true\n")
    kept = load_recordings_config(path).policy.rules
    with pytest.raises(ConfigError, match=r"^recorded callbacks \(docs/followups.md\): "):
        check_recorded_purposes({"emergency": "emergency"}, kept, path)
