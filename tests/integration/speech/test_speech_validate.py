"""`ivr flows validate --asr`: menu phrases checked against the configured Vosk model."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.cli import main
from ivr.flowversions.service import FlowRejected
from tests.integration.asr.conftest import ko_model_dir
from tests.integration.call.conftest import ROOT
from tests.integration.speech.conftest import KOREAN_FLOW, SpeechApp, write_settings

MADE_UP = "뿌잉뽀롱"


def korean_flow_with(tmp_path: Path, old: str, new: str) -> Path:
    text = KOREAN_FLOW.read_text(encoding="utf-8")
    assert old in text
    flow = tmp_path / "flows" / "test_korean.yaml"
    flow.parent.mkdir()
    flow.write_text(text.replace(old, new), encoding="utf-8")
    return flow


def validate(flow: Path, settings: Path) -> int:
    queues = ROOT / "config" / "queues.yaml"
    return main(["flows", "validate", "--asr", "--settings", str(settings),
                 "--queues", str(queues), str(flow.parent)])  # fmt: skip


def test_validate_asr_reports_unknown_words_with_file_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = korean_flow_with(tmp_path, "phrases: {ko: [계좌]}", f"phrases: {{ko: [계좌 {MADE_UP}]}}")
    settings = write_settings(tmp_path / "settings.yaml", ko_model_dir())
    assert validate(flow, settings) == 1
    line = next(
        i for i, text in enumerate(flow.read_text("utf-8").splitlines(), 1) if MADE_UP in text
    )
    column = flow.read_text("utf-8").splitlines()[line - 1].index(f"계좌 {MADE_UP}") + 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{flow}:{line}:{column}: node 'main_menu' option '4': phrase '계좌 {MADE_UP}' (ko): "
        f"{MADE_UP} not in the speech model's vocabulary (Vosk would drop them); use words "
        "the model knows, or a bigger model\n"
    )


def test_validate_asr_passes_the_shipped_korean_flow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = korean_flow_with(tmp_path, "flow: test_korean", "flow: test_korean")
    settings = write_settings(tmp_path / "settings.yaml", ko_model_dir())
    assert validate(flow, settings) == 0
    assert capsys.readouterr().out == "ok: 1 flow(s) valid: test_korean\n"


def test_validate_asr_names_a_missing_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = korean_flow_with(tmp_path, "flow: test_korean", "flow: test_korean")
    missing = tmp_path / "nope"
    assert validate(flow, write_settings(tmp_path / "settings.yaml", missing)) == 1
    assert capsys.readouterr().err.startswith(
        f"speech model for 'ko' at {missing}: directory does not exist; install it"
    )


async def test_publish_refuses_words_the_speech_model_lacks(speech_app: SpeechApp) -> None:
    text = KOREAN_FLOW.read_text(encoding="utf-8")
    candidate = text.replace("phrases: {ko: [계좌]}", f"phrases: {{ko: [계좌 {MADE_UP}]}}")
    line = next(i for i, t in enumerate(candidate.splitlines(), 1) if MADE_UP in t)
    column = candidate.splitlines()[line - 1].index(f"계좌 {MADE_UP}") + 1
    async with speech_app() as app:
        with pytest.raises(FlowRejected) as refused:
            await app.flow_versions.publish_text("test_korean", candidate, "ana", "new word")
        assert str(refused.value) == (
            f"{KOREAN_FLOW}:{line}:{column}: node 'main_menu' option '4': phrase "
            f"'계좌 {MADE_UP}' (ko): {MADE_UP} not in the speech model's vocabulary (Vosk would "
            "drop them); use words the model knows, or a bigger model"
        )
        assert [v.number for v in await app.flow_versions.store.versions("test_korean")] == [1]
