"""Security settings (`security.*` keys): PIN lockout policy, unverified emergency callers,
private prompt signing, cookies and file modes. Part of the settings tree (`ivr.settings`).

Rules:
- Keys are flat under `security.` (`security.pin_max_failures: 10`), each with an `IVR_SECURITY_*`
  variable; the prompt-signing secret comes from the environment only (`IVR_PROMPT_SECRET`).
- A bad value raises `BadValue(problem, fix)`; `ivr.settings` turns it into a `ConfigError`
  naming the file:line or the variable.
- Defaults are safe: 10 wrong PINs within 24 h lock an account for 1 h; a number that fails on 5
  different accounts within 24 h is locked; unverified emergency callers reach the trading desk
  (never as verified); files are owner-only.
"""

from __future__ import annotations

import grp
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

UNVERIFIED_EMERGENCY_POLICIES = ("desk", "normal")
ROLE_NAMES = ("agent", "supervisor", "admin", "compliance")


class BadValue(Exception):
    """A setting's text is not valid: what is wrong (`problem`) and what would fix it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.fix = problem, fix


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """`pin_max_failures` wrong PINs for one account within `pin_window_s` lock it (every
    line, self-service and verification) for `pin_lock_s` (0: until someone unlocks it); a
    calling number that failed on `pin_caller_max_accounts` different accounts is locked alike.
    `pin_unlock_roles` may unlock (API `pin_unlock`). `unverified_emergency`: `desk` (still
    reach the trading desk with emergency priority, shown as unverified) or `normal` (reach it
    at normal priority). `prompt_secret` signs private prompt URLs (random per process when
    unset). `cookie_secure` None: on when the public base URL is https. `file_group`: the group
    given read access to the database, journals and recordings (None: owner only)."""

    pin_max_failures: int = 10
    pin_window_s: int = 24 * 3600
    pin_caller_max_accounts: int = 5
    pin_lock_s: int = 3600
    pin_unlock_roles: frozenset[str] = frozenset({"supervisor", "admin"})
    unverified_emergency: str = "desk"
    prompt_secret: str | None = field(default=None, repr=False)
    cookie_secure: bool | None = None
    file_group: str | None = None


def _text(value: str | None) -> str:
    if value is None or not value.strip():
        raise BadValue("is empty", "give a value or remove the key")
    return value.strip()


def _count(value: str | None) -> int:
    text = _text(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) == 0:
        raise BadValue(f"{text!r} is not a positive whole number", "use e.g. 10")
    return int(text)


def _seconds(value: str | None) -> int:
    text = _text(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise BadValue(f"{text!r} is not a whole number of seconds", "use e.g. 3600 (0: never)")
    return int(text)


def _roles(value: str | None) -> frozenset[str]:
    names = frozenset(part.strip() for part in _text(value).split(",") if part.strip())
    unknown = sorted(names - set(ROLE_NAMES))
    if unknown or not names:
        raise BadValue(
            f"{', '.join(unknown) or 'nothing'} is not a role",
            f"list roles separated by commas from {', '.join(ROLE_NAMES)}",
        )
    return names


def _policy(value: str | None) -> str:
    text = _text(value).lower()
    if text not in UNVERIFIED_EMERGENCY_POLICIES:
        raise BadValue(
            f"{text!r} is not a policy", f"use one of {', '.join(UNVERIFIED_EMERGENCY_POLICIES)}"
        )
    return text


def _secret(value: str | None) -> str:
    text = _text(value)
    if len(text) < 32:
        raise BadValue("is shorter than 32 characters", "use e.g. `openssl rand -hex 32`")
    return text


def _optional_bool(value: str | None) -> bool | None:
    if value is None or not value.strip() or value.strip().lower() == "auto":
        return None
    text = value.strip().lower()
    if text not in ("true", "false", "yes", "no", "1", "0"):
        raise BadValue(f"{text!r} is not a yes/no value", "use true, false or auto")
    return text in ("true", "yes", "1")


def _group(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    name = value.strip()
    try:
        grp.getgrnam(name)
    except KeyError:
        raise BadValue(f"group {name!r} does not exist", "create it or name another") from None
    return name


Parser = Callable[[str | None], Any]

# dotted key -> (parser, environment variable, secret)
SECURITY_KEYS: dict[str, tuple[Parser, str, bool]] = {
    "security.pin_max_failures": (_count, "IVR_SECURITY_PIN_MAX_FAILURES", False),
    "security.pin_window_s": (_count, "IVR_SECURITY_PIN_WINDOW_S", False),
    "security.pin_caller_max_accounts": (_count, "IVR_SECURITY_PIN_CALLER_MAX_ACCOUNTS", False),
    "security.pin_lock_s": (_seconds, "IVR_SECURITY_PIN_LOCK_S", False),
    "security.pin_unlock_roles": (_roles, "IVR_SECURITY_PIN_UNLOCK_ROLES", False),
    "security.unverified_emergency": (_policy, "IVR_SECURITY_UNVERIFIED_EMERGENCY", False),
    "security.prompt_secret": (_secret, "IVR_PROMPT_SECRET", True),
    "security.cookie_secure": (_optional_bool, "IVR_SECURITY_COOKIE_SECURE", False),
    "security.file_group": (_group, "IVR_SECURITY_FILE_GROUP", False),
}


def cookie_secure(settings: SecuritySettings, public_base_url: str | None) -> bool:
    """Whether the session cookie is `Secure`: as set, else on for an https public base URL."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return bool(public_base_url and public_base_url.lower().startswith("https://"))
