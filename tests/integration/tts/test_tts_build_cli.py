"""`ivr prompts build`: pre-renders the static prompts of the flows, counts cached/dynamic."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.cli import main
from ivr.engine.loader import load_flows
from ivr.prompts.catalogue import catalogue, is_dynamic, literal

FLOW = """\
flow: demo
languages: [zh-CN, en]
start: hello
defaults:
  no_input_prompt: {zh-CN: 没有听到您的选择。, en: I did not hear you.}
nodes:
  hello:
    type: say
    prompt: {zh-CN: 您好，欢迎致电。, en: Welcome.}
    next: again
  again:
    type: say
    prompt: {zh-CN: 您好，欢迎致电。, en: "Your ratio is {{high}}."}
    next: status
  status:
    type: say
    prompt: {zh-CN: "保证金比例为{caller}。", en: "Your number is {caller}."}
    next: bye
  bye:
    type: hangup
    prompt: {zh-CN: 再见。, en: Goodbye.}
"""


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "flows"
    directory.mkdir()
    (directory / "demo.yaml").write_text(FLOW, encoding="utf-8")
    return directory


def test_catalogue_dedups_and_separates_dynamic_texts(flows_dir: Path) -> None:
    prompts = catalogue(load_flows([flows_dir]))
    assert sorted((p.language, p.text) for p in prompts.static) == [
        ("en", "Goodbye."),
        ("en", "I did not hear you."),
        ("en", "Welcome."),
        ("en", "Your ratio is {high}."),
        ("zh-CN", "再见。"),
        ("zh-CN", "您好，欢迎致电。"),
        ("zh-CN", "没有听到您的选择。"),
    ]
    assert sorted(p.text for p in prompts.dynamic) == [
        "Your number is {caller}.",
        "保证金比例为{caller}。",
    ]
    assert is_dynamic("a {x} b")
    assert not is_dynamic("a {{x}} b")
    assert literal("a {{x}} b") == "a {x} b"


def test_build_renders_then_hits_the_cache(
    flows_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("IVR_TTS_CACHE", str(cache))
    settings = tmp_path / "settings.yaml"
    settings.write_text("log_level: INFO\n", encoding="utf-8")
    args = ["prompts", "build", "--flows", str(flows_dir), "--settings", str(settings)]

    assert main(args) == 0
    out, err = capsys.readouterr()
    assert (
        out.splitlines()[-1]
        == "prompts: 7 rendered, 0 cached, 0 failed, 2 dynamic (rendered at call time)"
    )
    assert "render time: mean" in out
    assert "prompts: 100%" in err  # the tqdm bar
    assert len(list(cache.glob("*.wav"))) == 7

    assert main(args) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        "prompts: 0 rendered, 7 cached, 0 failed, 2 dynamic (rendered at call time)"
    ]


def test_build_reports_a_bad_voice_with_its_place(
    flows_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IVR_TTS_CACHE", str(tmp_path / "cache"))
    settings = tmp_path / "settings.yaml"
    settings.write_text("tts:\n  voices:\n    en: klingon\n", encoding="utf-8")
    args = ["prompts", "build", "--flows", str(flows_dir), "--settings", str(settings)]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert (
        out.splitlines()[-1]
        == "prompts: 3 rendered, 0 cached, 4 failed, 2 dynamic (rendered at call time)"
    )
    failures = [line for line in err.splitlines() if "klingon" in line]
    assert len(failures) == 4
    assert failures[0].startswith(f"{flows_dir / 'demo.yaml'}:")
    assert failures[0].endswith(": espeak-ng has no voice 'klingon'; see `espeak-ng --voices`")
