"""`ivr flows ...` through `ivr.cli.main`: exact output, exit status, JSON outcome."""

# ruff: noqa: E501  (exact error texts are long lines on purpose)

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ivr.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "flows" / "basic"
QUEUES = """\
skills: [mandarin, english, general, account, trading, emergency_order, licensed, complaints, vip]
queues:
  general: {skills: {mandarin: 1, general: 1}}
  vip: {skills: {vip: 3, mandarin: 2}}
  account_services: {skills: {account: 2, mandarin: 1}}
  trading_desk: {skills: {emergency_order: 3}}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "flows")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "queues.yaml").write_text(QUEUES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_default_directory(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "validate"]) == 0
    out, err = capsys.readouterr()
    assert out == "ok: 2 flow(s) valid: emergency, hotline\n"
    assert err == ""


def test_validate_reports_every_error_on_stderr(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "flows" / "emergency.yaml"
    text = path.read_text().replace("queue: trading_desk", "queue: trading_dsk")
    path.write_text(text.replace("next: desk", "next: dsk"))
    assert main(["flows", "validate"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "flows/emergency.yaml:14:11: node 'notice': 'next' points to unknown node 'dsk' (did you mean 'desk'?)\n"
        "flows/emergency.yaml:17:12: node 'desk': unknown queue 'trading_dsk' (did you mean 'trading_desk'?)\n"
    )


def test_validate_without_queue_config_says_so(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "config" / "queues.yaml").unlink()
    assert main(["flows", "validate", "flows/hotline.yaml", "flows/emergency.yaml"]) == 0
    _, err = capsys.readouterr()
    assert err == "note: config/queues.yaml not found: queue names and skills not checked\n"


def test_validate_bad_queue_file_is_an_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = workdir / "q.yaml"
    bad.write_text("queues: [1]\n")
    assert main(["flows", "validate", "--queues", str(bad)]) == 1
    _, err = capsys.readouterr()
    assert err.startswith(f"ivr: {bad}:1:")


def test_validate_missing_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "validate", "flows/nope.yaml"]) == 1
    _, err = capsys.readouterr()
    assert err == "flows/nope.yaml:1:1: cannot read the file (No such file or directory)\n"


def simulate_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["flows", "simulate", *args, "--json"]) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


@pytest.mark.parametrize(
    "args",
    [
        ("hotline", "--inputs", "9"),
        ("hotline", "--inputs", "say:我要紧急下单"),
        ("hotline", "--dialed", "95556"),
        ("emergency",),
    ],
    ids=["key", "speech", "dialed", "direct"],
)
def test_simulate_emergency_entries(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    body = simulate_json(capsys, *args)
    assert {k: body[k] for k in ("outcome", "queue", "priority", "skills", "flow", "node")} == {
        "outcome": "queued",
        "queue": "trading_desk",
        "priority": "emergency",
        "skills": {"emergency_order": 3},
        "flow": "emergency",
        "node": "desk",
    }
    assert isinstance(body["trace"], list)
    assert body["trace"]


def test_simulate_three_wrong_pins_lock(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = simulate_json(capsys, "hotline", "--inputs", "1,12345678#,111111,222222,333333")
    assert body["outcome"] == "queued"
    assert body["queue"] == "account_services"
    assert body["node"] == "locked_out"
    dumped = json.dumps(body, ensure_ascii=False)
    for secret in ("111111", "222222", "333333", "12345678"):
        assert secret not in dumped


def test_simulate_no_input_three_times(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = simulate_json(capsys, "hotline", "--inputs", "wait,wait,wait")
    assert (body["outcome"], body["queue"], body["priority"]) == ("queued", "general", "normal")


def test_simulate_vip_caller(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = simulate_json(capsys, "hotline", "--caller", "13800000001")
    assert (body["outcome"], body["queue"], body["priority"]) == ("queued", "vip", "vip")


def test_simulate_transcript_and_hangup(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["flows", "simulate", "hotline", "--inputs", "1,12345678#,123456", "--lang", "en"])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert "  says: Your margin ratio is 35.2%." in out
    assert out[-1] == "outcome: hangup reason=normal flow=hotline node=goodbye"


def test_simulate_waiting_and_hangup_tokens(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate_json(capsys, "hotline", "--inputs", "1")["outcome"] == "waiting"
    body = simulate_json(capsys, "hotline", "--inputs", "1,hangup")
    assert (body["outcome"], body["reason"]) == ("caller_hangup", "normal")


def test_simulate_queue_outcome_tokens(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = simulate_json(capsys, "hotline", "--inputs", "0,queue:timeout")
    assert body["node"] == "goodbye"  # general queue times out -> message -> goodbye
    body = simulate_json(capsys, "hotline", "--inputs", "0,queue:answered")
    assert (body["outcome"], body["agent_id"]) == ("answered", "agent-1")


def test_simulate_errors(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "simulate", "hotlin"]) == 1
    assert capsys.readouterr().err == "ivr: unknown flow 'hotlin' (did you mean 'hotline'?)\n"
    assert main(["flows", "simulate", "hotline", "--inputs", "1,jump"]) == 1
    assert capsys.readouterr().err == (
        "ivr: unknown input 'jump': use keys 0-9 * #, say:TEXT, wait, hangup, "
        "or queue:answered|timeout|overflow|abandoned\n"
    )


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "svg"])
def test_graph_formats(workdir: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["flows", "graph", "hotline", "--format", fmt]) == 0
    out = capsys.readouterr().out
    first = {"mermaid": "flowchart TD", "dot": 'digraph "hotline" {', "svg": "<svg "}[fmt]
    assert out.startswith(first)
    assert "main_menu" in out


def test_mermaid_edges(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["flows", "graph", "emergency", "--format", "mermaid"])
    out = capsys.readouterr().out.splitlines()
    assert '  n_market -- "open" --> n_notice' in out
    assert '  n_desk["desk<br/>queue: trading_desk (emergency)"]' in out


def test_schema_is_json_and_lists_node_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["required"] == ["flow", "languages", "start", "nodes"]
    assert len(schema["$defs"]["node"]["oneOf"]) == 12
    assert schema["$defs"]["node_menu"]["properties"]["type"] == {"const": "menu"}
