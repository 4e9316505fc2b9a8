"""The language of the staff pages: zh-CN or en (pure, plus the catalogues read once).

`page_language(cookie, accept)`: the user's choice (the `ivr_lang` cookie the page's language
switch sets) wins; else the browser's `Accept-Language`, q-values honoured: the language range
with the highest q among those we speak decides (`zh`, `zh-CN`, `zh-TW`, `zh-*` -> zh-CN; `en*`
-> en); `*` or nothing we speak -> en. Ties keep the header's order; `q=0` means "not this".

`text(lang, key)` is a catalogue entry (`static/i18n/<lang>.json`, the same files the pages
load), for the few texts the server writes itself (the 403 page).

Rules: a malformed header part or q-value is skipped, never an error; the cookie is a language
code, never anything else (an unknown value is ignored).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("zh-CN", "en")
DEFAULT: Final = "en"
COOKIE: Final = "ivr_lang"
CATALOGUES: Final = Path(__file__).resolve().parent / "static" / "i18n"


def _ours(tag: str) -> str | None:
    primary = tag.strip().lower().split("-", 1)[0]
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def _q(params: list[str]) -> float | None:
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0.0 <= q <= 1.0 else None
    return 1.0


def from_accept_language(header: str | None) -> str:
    """The language our pages speak that `header` prefers most (en when none)."""
    best, best_q = DEFAULT, 0.0
    for part in (header or "").split(","):
        tag, *params = part.split(";")
        ours, q = _ours(tag), _q(params)
        if ours is not None and q is not None and q > best_q:
            best, best_q = ours, q
    return best


def page_language(cookie: str | None, accept_language: str | None) -> str:
    """The page's language: the user's choice when it is one we speak, else the browser's."""
    if cookie in LANGUAGES:
        return cookie
    return from_accept_language(accept_language)


@cache
def catalogue(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def text(lang: str, key: str, **params: str) -> str:
    """The catalogue's text of `key` in `lang` with `{name}` parameters filled in."""
    found = catalogue(lang).get(key, key)
    for name, value in params.items():
        found = found.replace("{" + name + "}", value)
    return found
