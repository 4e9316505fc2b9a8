"""Settings: precedence (defaults < YAML < env), exact error texts, secrets refused in YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import ConfigError
from ivr.settings import AgentEndpoint, Settings, load_settings

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | None, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ)
    return str(caught.value)


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), {})
    assert settings == Settings()
    assert settings.ari.url is None
    assert settings.ari.app == "futures-ivr"
    assert settings.database_url == "sqlite+aiosqlite:///var/ivr.db"
    assert settings.redis_url is None
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8080)
    assert settings.paths.tts_cache == Path("var/tts-cache")
    assert settings.tts.voices == {"zh-CN": "cmn-latn-pinyin", "en": "en"}


def test_yaml_overrides_defaults_and_env_overrides_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "http:\n  port: 9090\n  host: 0.0.0.0\nari:\n  app: ivr-a\n  url: http://pbx:8088\n",
    )
    settings = load_settings(path, {"IVR_HTTP_PORT": "7070", "IVR_ARI_PASSWORD": "s3cret"})
    assert settings.http.port == 7070  # env wins
    assert settings.http.host == "0.0.0.0"  # YAML wins over default
    assert settings.ari.app == "ivr-a"
    assert settings.ari.url == "http://pbx:8088"
    assert settings.ari.password == "s3cret"
    assert settings.ari.username == "ivr"  # default kept


def test_every_documented_env_var_is_read(tmp_path: Path) -> None:
    env = {
        "IVR_ARI_URL": "http://127.0.0.1:8088",
        "IVR_ARI_USERNAME": "asterisk",
        "IVR_ARI_PASSWORD": "pw",
        "IVR_ARI_APP": "ivr-b",
        "IVR_DATABASE_URL": "postgresql+asyncpg://ivr:pw@db/ivr",
        "IVR_REDIS_URL": "unix:///tmp/r.sock",
        "IVR_HTTP_HOST": "0.0.0.0",
        "IVR_HTTP_PORT": "8081",
        "IVR_LOG_LEVEL": "debug",
        "IVR_SANDBOX_SPEED": "50",
        "IVR_TTS_CACHE": "/tmp/tts",
    }
    s = load_settings(write(tmp_path, ""), env)
    assert (s.ari.url, s.ari.username, s.ari.password, s.ari.app) == (
        "http://127.0.0.1:8088",
        "asterisk",
        "pw",
        "ivr-b",
    )
    assert s.database_url == "postgresql+asyncpg://ivr:pw@db/ivr"
    assert s.redis_url == "unix:///tmp/r.sock"
    assert (s.http.host, s.http.port) == ("0.0.0.0", 8081)
    assert s.log_level == "DEBUG"
    assert s.sandbox.speed == 50.0
    assert s.paths.tts_cache == Path("/tmp/tts")


def test_empty_ari_url_in_env_means_sandbox(tmp_path: Path) -> None:
    path = write(tmp_path, "ari:\n  url: http://pbx:8088\n")
    assert load_settings(path, {"IVR_ARI_URL": ""}).ari.url is None


def test_repr_hides_password_and_database_url() -> None:
    settings = load_settings(
        None,
        {
            "IVR_ARI_PASSWORD": "hunter2-xyz",
            "IVR_DATABASE_URL": "postgresql+asyncpg://u:dbpw-xyz@h/d",
        },
    )
    assert "hunter2-xyz" not in repr(settings)
    assert "dbpw-xyz" not in repr(settings)
    assert "hunter2-xyz" not in str(settings.ari)


def test_nested_maps_from_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tts:\n  voices:\n    en: en-us\nasr:\n  models:\n    en: var/models/en\n"
        "sandbox:\n  endpoints:\n    PJSIP/8002: {never_answer: true}\n",
    )
    s = load_settings(path, {})
    assert s.tts.voices == {"zh-CN": "cmn-latn-pinyin", "en": "en-us"}
    assert s.asr.models == {"en": Path("var/models/en")}
    assert s.sandbox.endpoints == {"PJSIP/8002": AgentEndpoint(never_answer=True)}


def test_shipped_settings_file_loads() -> None:
    s = load_settings(ROOT / "config" / "settings.yaml", {})
    assert s.ari.url is None
    assert s.http.port == 8080
    assert "PJSIP/8001" in s.sandbox.endpoints


def test_secret_in_yaml_is_refused_with_file_line(tmp_path: Path) -> None:
    path = write(tmp_path, "ari:\n  username: ivr\n  password: hunter2\n")
    assert error_of(path, {}) == (
        f"{path}:3: ari.password is a secret and must not be in a file: "
        "remove it and set IVR_ARI_PASSWORD"
    )


def test_password_inside_a_url_in_yaml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "database_url: postgresql+asyncpg://ivr:pw@db/ivr\n")
    assert error_of(path, {}) == (
        f"{path}:1: database_url contains a password: remove it from the URL and set the "
        "whole URL in IVR_DATABASE_URL"
    )


def test_unknown_secret_named_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "sandbox:\n  api_token: abc\n")
    assert error_of(path, {}) == (
        f"{path}:2: sandbox.api_token is a secret and must not be in a file: "
        "remove it and set an IVR_* environment variable"
    )


def test_bad_yaml_value_names_file_line_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  host: 127.0.0.1\n  port: eighty\n")
    assert error_of(path, {}) == (
        f"{path}:3: http.port: 'eighty' is not a TCP port; "
        "use a whole number from 1 to 65535, e.g. 8080 (0: any free port)"
    )


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    assert error_of(write(tmp_path, ""), {"IVR_HTTP_PORT": "99999"}) == (
        "environment variable IVR_HTTP_PORT: '99999' is not a TCP port; "
        "use a whole number from 1 to 65535, e.g. 8080 (0: any free port)"
    )
    assert error_of(write(tmp_path, ""), {"IVR_ARI_URL": "pbx:8088"}) == (
        "environment variable IVR_ARI_URL: 'pbx:8088' is not a http://... or https://... URL; "
        "write it as http://... or https://..."
    )


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  prot: 8080\n")
    assert error_of(path, {}) == f"{path}:2: unknown key 'http.prot' (did you mean 'http.port'?)"


def test_all_errors_are_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, "log_level: loud\nredis_url: localhost\n")
    assert error_of(path, {"IVR_SANDBOX_SPEED": "fast"}).splitlines() == [
        f"{path}:1: log_level: 'LOUD' is not a log level; use one of DEBUG, INFO, WARNING, ERROR",
        f"{path}:2: redis_url: 'localhost' is not a redis://... or rediss://... or unix://..."
        " or redis+sentinel://... URL; write it as redis://... or rediss://... or unix://... or"
        " redis+sentinel://...",
        "environment variable IVR_SANDBOX_SPEED: 'fast' is not a positive number;"
        " use e.g. 1.0 (real time) or 50",
    ]


def test_blank_password_in_env_means_none(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, ""), {"IVR_ARI_PASSWORD": "  "}).ari.password is None


def test_not_a_mapping_and_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "- a\n- b\n")
    assert error_of(path, {}) == (
        f"{path}:1: settings must be a mapping of keys such as 'http: {{port: 8080}}'"
    )
    path = write(tmp_path, "http: [\n")
    assert error_of(path, {}).startswith(f"{path}:2: not valid YAML: ")
    missing = tmp_path / "nope.yaml"
    assert error_of(missing, {}) == (
        f"{missing}: settings file not found; create it or pass another path"
    )


def test_list_where_a_value_is_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  port: [1, 2]\n")
    assert error_of(path, {}) == f"{path}:2: http.port: a list is not allowed here; write a value"


def test_call_policy_from_yaml_and_env(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "calls:\n  default_flow: consult\n  recorded_flows:\n    emergency: emergency\n"
        "    consult: voice_message\n  outbound_dial: PJSIP/{number}@carrier\n"
        "  transfer_context: to-desk\n",
    )
    env = {"IVR_CALLS_DEFAULT_FLOW": "hotline", "IVR_CALLS_SURVEY_FLOW": "csat"}
    calls = load_settings(path, env).calls
    assert calls.default_flow == "hotline"
    assert (calls.survey_flow, calls.transfer_context) == ("csat", "to-desk")
    assert (Settings().calls.survey_flow, Settings().calls.transfer_context) == (
        "survey",
        "ivr-transfer",
    )
    assert calls.recorded_flows == {"emergency": "emergency", "consult": "voice_message"}
    assert calls.outbound_dial == "PJSIP/{number}@carrier"
    assert Settings().calls.recorded_flows == {
        "emergency": "emergency",
        "margin_notice": "margin_notice",
    }


def test_outbound_dial_without_number_names_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "calls:\n  outbound_dial: PJSIP/8001\n")
    assert error_of(path, {}) == (
        f"{path}:2: calls.outbound_dial: 'PJSIP/8001' is not a dial-string template"
        " with one {number}; use e.g. PJSIP/{number}@trunk"
    )
