"""PINs, account digits and credentials are never handed to a log call: a scan of every
logging call in our packages for values named like one (`pin`, `account`, `token`, `password`,
`params` of a lookup, ...), in its arguments or in an f-string message. The masked forms
(`account_masked`, `label`) pass. Beside the runtime proof (tests/integration/call/
test_call_compliance.py captures every log line of calls with wrong and right PINs), this
keeps code paths no test drives (error branches, new features) in line."""

from __future__ import annotations

import ast
from pathlib import Path

import ivr

SECRET_NAMES = frozenset({
    "pin", "pins", "pin_hash", "pin_salt", "account", "accounts", "password", "token",
    "tokens", "secret", "session_token", "cookie", "params", "digits", "dtmf",
})  # fmt: skip
LEVELS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})


def _log_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in LEVELS and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("log", "logger", "logging")
    ]  # fmt: skip


def _names(node: ast.AST) -> set[str]:
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def secrets_logged(source: str) -> list[tuple[int, set[str]]]:
    """(line, secret names) of each log call in `source` handed a secret-looking value."""
    out = []
    for call in _log_calls(ast.parse(source)):
        values = [*call.args, *(k.value for k in call.keywords)]
        bad = {n for v in values for n in _names(v) if n.lower() in SECRET_NAMES}
        if bad:
            out.append((call.lineno, bad))
    return out


def test_the_scan_sees_secrets_in_arguments_and_f_strings() -> None:
    source = (
        'log.info("verify %s", pin)\n'
        'log.warning(f"lock {self.account}")\n'
        'log.info("ok %s", account_masked)\n'
        'log.error("lookup", extra={"p": request.params})\n'
    )
    assert secrets_logged(source) == [(1, {"pin"}), (2, {"account"}), (4, {"params"})]


def test_no_log_call_is_given_a_secret() -> None:
    root = Path(ivr.__file__).parent.parent
    problems = []
    scanned = 0
    for package in ("ivr", "queueing", "recordings", "asr"):
        for path in sorted((root / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            scanned += len(_log_calls(ast.parse(source)))
            for line, bad in secrets_logged(source):
                problems.append(f"{path.relative_to(root)}:{line}: {', '.join(sorted(bad))}")
    assert scanned > 150, scanned  # 205 when written
    assert not problems, "\n".join(problems)
