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
        ("hotline", "--inputs", "say:紧急夏单"),  # the matcher of live calls: 夏单 == 下单
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
    assert "  says: Your margin ratio is thirty-five point two percent." in out
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
    first = {"mermaid": "flowchart TD", "dot": 'digraph "hotline" {', "svg": "<?xml"}[fmt]
    assert out.startswith(first)
    assert "main_menu" in out


def test_mermaid_edges(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["flows", "graph", "emergency", "--format", "mermaid"])
    out = capsys.readouterr().out.splitlines()
    assert '  n_market -- "open / default" --> n_notice' in out  # one edge, both labels
    assert '  n_desk["desk<br/>queue: trading_desk (emergency)"]' in out


def test_schema_is_json_and_lists_node_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["required"] == ["flow", "languages", "start", "nodes"]
    assert len(schema["$defs"]["node"]["oneOf"]) == 13  # ... result (outbound calls)
    assert schema["$defs"]["node_menu"]["properties"]["type"] == {"const": "menu"}


def test_simulate_json_has_the_masked_screen_pop(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = simulate_json(capsys, "hotline", "--caller", "13800000001")
    assert body["attributes"] == {
        "caller": "13800000001",
        "language": "zh-CN",
        "ivr_path": "check_number>profile>vip_queue",
        "intent": "",
        "account": "****5678",
        "vip_tier": "gold",
    }
    assert simulate_json(capsys, "hotline", "--inputs", "1")["attributes"] is None


def test_simulate_provider_result_forces_an_answer(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = simulate_json(capsys, "emergency", "--provider-result", "market_status=closed")
    assert (body["outcome"], body["reason"], body["node"]) == ("hangup", "market_closed", "closed")
    body = simulate_json(
        capsys, "hotline", "--caller", "13800000001",
        "--provider-result", "caller_profile=error", "--provider-result", "market_status=open",
    )  # fmt: skip
    assert body["path"] == ["check_number", "profile", "welcome", "main_menu"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("market_stat=closed", "unknown provider 'market_stat' (did you mean 'market_status'?)"),
        (
            "market_status=close",
            "provider 'market_status' has no result 'close' (did you mean 'closed'?); "
            "its results: open, closed, error",
        ),
        (
            "market_status",
            "provider result 'market_status' must be NAME=RESULT, e.g. market_status=closed",
        ),
    ],
)
def test_simulate_provider_result_errors(
    workdir: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    assert main(["flows", "simulate", "emergency", "--provider-result", value]) == 1
    assert capsys.readouterr().err == f"ivr: {message}\n"


MARKET_FLOW = """\
flow: market
languages: [zh-CN]
start: check
nodes:
  check:
    type: branch
    cases:
      - when: {market_open: true}
        next: open_line
    otherwise: closed_line
  open_line: {type: hangup, reason: open}
  closed_line: {type: hangup, reason: closed}
"""
# Monday 2026-11-30 closed: no night session on Friday 2026-11-27
CALENDAR = """\
day_sessions:
  - {name: am, start: "09:00", end: "11:30"}
night_sessions:
  default: long
  groups:
    long: {start: "21:00", end: "02:30"}
holidays:
  - {date: 2026-11-30, name: Test holiday}
"""


def market_reason(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    return simulate_json(capsys, "market", *args)["reason"]


def test_simulate_now_and_the_trading_calendar(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "flows" / "market.yaml").write_text(MARKET_FLOW)
    assert market_reason(capsys) == "open"  # default: Monday 2026-01-05 10:00
    assert market_reason(capsys, "--now", "2026-01-05T10:20") == "closed"  # built-in: break
    assert market_reason(capsys, "--now", "2026-11-27T22:30") == "open"  # built-in: Friday night
    assert market_reason(capsys, "--now", "2026-11-27T14:30+00:00") == "open"  # = 22:30 local
    (workdir / "config" / "trading_calendar.yaml").write_text(CALENDAR)
    assert market_reason(capsys, "--now", "2026-11-27T22:30") == "closed"  # holiday follows
    assert market_reason(capsys, "--now", "2026-01-05T10:20") == "open"  # its own sessions
    (workdir / "config" / "trading_calendar.yaml").rename(workdir / "cal.yaml")
    assert market_reason(capsys, "--now", "2026-11-27T22:30", "--calendar", "cal.yaml") == "closed"


def test_simulate_bad_now_and_bad_calendar(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["flows", "simulate", "hotline", "--now", "Friday"]) == 1
    assert capsys.readouterr().err == (
        "ivr: --now must be an ISO local time such as 2026-11-27T22:30 (got 'Friday')\n"
    )
    (workdir / "config" / "trading_calendar.yaml").write_text(CALENDAR.replace("02:30", "2:30"))
    assert main(["flows", "validate"]) == 1
    assert capsys.readouterr().err == (
        "config/trading_calendar.yaml:6:33: night group 'long': 'end' must be a time HH:MM, "
        "e.g. \"21:00\" (got '2:30')\n"
    )
    assert main(["flows", "validate", "--calendar", "none.yaml"]) == 1
    assert capsys.readouterr().err == (
        "none.yaml:1:1: cannot read the trading calendar: No such file or directory\n"
    )
