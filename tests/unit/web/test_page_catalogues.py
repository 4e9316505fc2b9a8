"""The staff pages' catalogues (zh-CN, en): every key the pages use exists in both, no catalogue
has a key nobody uses, and every code the server sends for a translated group (agent states,
reasons, follow-up kinds and statuses, monitoring modes, transfer phases) has its text.

Uses are read from the page sources: `data-i18n[-attr]="key"` in HTML (and `"data-i18n": "key"`
in JS), `t("key"` in JS, `tv("group"` (keys `group.*`) in JS, literal `"message.*"` keys in the
server's page module. API errors are looked up by code (`error.<code>`), so the `error` group
is always in use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final

import pytest

from ivr.followups.status import KINDS, STATUSES
from ivr.queue.consult import Phase
from ivr.web.api_body import REASONS
from ivr.web.pages import language
from queueing.model import AgentState

PAGES: Final = Path(language.__file__).resolve().parent
STATIC: Final = PAGES / "static"
KEY_IN_HTML: Final = re.compile(r'data-i18n(?:-[a-z-]+)?="([^"]+)"')
KEY_IN_EL: Final = re.compile(r'"data-i18n(?:-[a-z-]+)?":\s*"([^"]+)"')
KEY_IN_T: Final = re.compile(r"\bt\(\s*[\"'`]([^\"'`]+)[\"'`]")
DYNAMIC_T: Final = re.compile(r"\bt\(\s*(?![\"'`)])")
GROUP_IN_TV: Final = re.compile(r"\btv\(\s*[\"']([^\"']+)[\"']")
KEY_IN_PY: Final = re.compile(r'"(message\.[a-z_.]+)"')
ALWAYS_GROUPS: Final = frozenset({"error"})


def _catalogue(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def _sources() -> list[Path]:
    return sorted([*STATIC.glob("*.html"), *STATIC.glob("*.js")])


def _uses() -> tuple[set[str], set[str]]:
    keys: set[str] = set()
    groups: set[str] = set(ALWAYS_GROUPS)
    for path in _sources():
        text = path.read_text("utf-8")
        for pattern in (KEY_IN_HTML, KEY_IN_EL, KEY_IN_T):
            keys.update(pattern.findall(text))
        groups.update(GROUP_IN_TV.findall(text))
    server = (PAGES / "__init__.py").read_text("utf-8")
    for key in KEY_IN_PY.findall(server):
        keys.update({key} if key in _catalogue("en") else {f"{key}.title", f"{key}.text"})
    return keys, groups


@pytest.mark.parametrize("lang", language.LANGUAGES)
def test_every_used_key_is_in_the_catalogue(lang: str) -> None:
    keys, _ = _uses()
    missing = sorted(keys - set(_catalogue(lang)))
    assert missing == [], f"{lang}.json lacks {missing}"


@pytest.mark.parametrize("lang", language.LANGUAGES)
def test_no_catalogue_key_is_unused(lang: str) -> None:
    keys, groups = _uses()
    unused = sorted(
        k for k in _catalogue(lang) if k not in keys and k.split(".", 1)[0] not in groups
    )
    assert unused == [], f"{lang}.json has keys no page uses: {unused}"


def test_both_catalogues_have_the_same_keys_and_no_empty_text() -> None:
    en, zh = _catalogue("en"), _catalogue("zh-CN")
    assert sorted(set(en) ^ set(zh)) == []
    assert [k for k, v in {**en, **zh}.items() if not v.strip()] == []


def test_params_match_between_languages() -> None:
    en, zh = _catalogue("en"), _catalogue("zh-CN")
    param = re.compile(r"\{(\w+)\}")
    differ = [k for k in en if sorted(param.findall(en[k])) != sorted(param.findall(zh[k]))]
    assert differ == []


def test_keys_are_literal_where_the_pages_call_t() -> None:
    """A computed key (`t(x)`) cannot be checked: only common.js's own helpers may do that."""
    found = [
        f"{path.name}: {match.group(0)}"
        for path in _sources()
        if path.name != "common.js"
        for match in DYNAMIC_T.finditer(path.read_text("utf-8"))
    ]
    assert found == []


GROUP_CODES: Final[dict[str, list[str]]] = {
    "state": [s.value for s in AgentState],
    "reason": list(REASONS),
    "fu_kind": list(KINDS),
    "fu_status": list(STATUSES),
    "mode": ["listen", "whisper", "barge"],
    "transfer": [p.value for p in Phase],
    "priority": ["emergency", "vip", "normal"],
    "lang": list(language.LANGUAGES),
    "role": ["admin", "supervisor", "agent", "compliance"],
}


@pytest.mark.parametrize("lang", language.LANGUAGES)
@pytest.mark.parametrize("group", sorted(GROUP_CODES))
def test_every_code_of_a_group_has_a_text(lang: str, group: str) -> None:
    catalogue = _catalogue(lang)
    missing = [c for c in GROUP_CODES[group] if f"{group}.{c}" not in catalogue]
    assert missing == []


def test_chinese_catalogue_uses_call_centre_terms() -> None:
    zh = _catalogue("zh-CN")
    assert (zh["agent.ready"], zh["agent.not_ready"]) == ("示闲", "示忙")
    assert (zh["agent.login"], zh["agent.logout"]) == ("签入", "签出")
    assert (zh["ctl.hold"], zh["ctl.transfer"], zh["ctl.conference"]) == (
        "保持",
        "转接",
        "三方会议",
    )
    assert (zh["mode.listen"], zh["mode.whisper"], zh["mode.barge"]) == ("监听", "密语", "强插")


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "en"),
        (None, "", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, "zh", "zh-CN"),
        (None, "zh-TW", "zh-CN"),
        (None, "en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        (None, "en;q=0.5, zh-CN;q=0.9", "zh-CN"),
        (None, "fr-FR,fr;q=0.9", "en"),
        (None, "fr, zh;q=0.3", "zh-CN"),
        (None, "zh;q=0, en;q=0.1", "en"),
        (None, "zh;q=abc, en", "en"),
        (None, "*", "en"),
        ("en", "zh-CN", "en"),
        ("zh-CN", "en-US", "zh-CN"),
        ("klingon", "zh-CN", "zh-CN"),
    ],
)
def test_page_language(cookie: str | None, header: str | None, expected: str) -> None:
    assert language.page_language(cookie, header) == expected


def test_server_text_fills_params() -> None:
    text = language.text("zh-CN", "message.forbidden.text", roles="admin")
    assert text == "此页面需要以下角色之一：admin"
