"""Pages are served in the request's language: `<html lang>` from the `ivr_lang` cookie, else
from Accept-Language (zh* -> zh-CN, else en), and the server's own 403 page in that language."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from ivr.web.pages import _message_page, login_page


def _request(accept: str | None = None, cookie: str | None = None) -> web.Request:
    headers: dict[str, str] = {}
    if accept is not None:
        headers["Accept-Language"] = accept
    if cookie is not None:
        headers["Cookie"] = f"ivr_lang={cookie}"
    return make_mocked_request("GET", "/login", headers=headers)


@pytest.mark.parametrize(
    ("accept", "cookie", "lang"),
    [
        ("zh-CN,zh;q=0.9", None, "zh-CN"),
        ("en-US,en;q=0.9", None, "en"),
        (None, None, "en"),
        ("zh-CN", "en", "en"),
        ("en", "zh-CN", "zh-CN"),
    ],
)
async def test_login_page_lang(accept: str | None, cookie: str | None, lang: str) -> None:
    response = await login_page(_request(accept, cookie))
    assert isinstance(response, web.Response)
    text = response.text or ""
    assert f'<html lang="{lang}">' in text
    assert 'data-i18n="login.submit"' in text
    assert response.headers["Vary"] == "Accept-Language, Cookie"


def test_forbidden_page_in_chinese() -> None:
    response = _message_page(_request("zh-CN"), 403, "message.forbidden", roles="admin")
    assert response.status == 403
    text = response.text or ""
    assert '<html lang="zh-CN">' in text
    assert "<h1>无权访问</h1>" in text
    assert "此页面需要以下角色之一：admin" in text
    assert ">换个账号登录</a>" in text


def test_forbidden_page_in_english() -> None:
    response = _message_page(_request("en"), 403, "message.forbidden", roles="admin")
    assert "This page needs one of the roles: admin" in (response.text or "")
