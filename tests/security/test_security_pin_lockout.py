"""Wrong PINs count across calls: per account (any line, any number) and per calling number.

Whole calls on the emergency line (95556) through the sandbox switch, Redis and SQLite, with
the shipped policy (10 failures for an account, 5 accounts for a number, within 24 h):
- 10 calls from 10 numbers with a wrong PIN for one account lock it; the 11th call, with the
  RIGHT PIN, is refused with the lock prompt and reaches the desk unverified (`pin_locked`);
- each lock puts a `pin_locked` alert on the supervisors' stream;
- unlocking is the `pin_unlock` action: a supervisor may (audited: who, when, why), an agent
  is 403; after the unlock the right PIN verifies again;
- one number that fails on 5 different accounts is locked, for any account.
"""

from __future__ import annotations

import aiohttp

from ivr.app import App
from tests.security.conftest import ACCOUNT, PIN, AppFactory, clients, try_pins

LOCK_PROMPT = (
    "验证失败次数过多，自助服务已暂停。现在为您转接交易台人工坐席，工作人员将核实您的身份。"
)
WRONG_PROMPT = "资金账号或交易密码不正确，请重新输入。"
VERIFIED_PROMPT = "身份验证成功。正在为您优先转接紧急交易台，请稍候。"


async def alerts(app: App) -> list[dict[str, str]]:
    events = await app.queue_store.events(after="0", count=500)
    return [dict(e.fields) for e in events if e.type == "alert"]


async def test_ten_wrong_pins_from_ten_numbers_lock_the_account_until_a_supervisor_unlocks(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        for n in range(9):
            heard = await try_pins(app, f"1390000{n:04d}", [(ACCOUNT, "000000")])
            assert WRONG_PROMPT in heard
            assert LOCK_PROMPT not in heard
        assert await alerts(app) == []
        heard = await try_pins(app, "13900000009", [(ACCOUNT, "000000")])
        assert LOCK_PROMPT in heard  # the 10th failure locks the account
        assert [(a["kind"], a["scope"], a["account"]) for a in await alerts(app)] == [
            ("pin_locked", "account", "****5678"),
        ]

        heard = await try_pins(app, "13900000010", [(ACCOUNT, PIN)])  # the right PIN
        assert LOCK_PROMPT in heard
        assert VERIFIED_PROMPT not in heard

        api = await clients(app, http)
        status, body = await api["supervisor"].call("GET", "/api/pin-locks")
        assert status == 200
        [lock] = body["locks"]
        assert (lock["scope"], lock["label"], lock["failures"]) == ("account", "****5678", 10)
        assert ACCOUNT not in str(body)
        unlock = f"/api/pin-locks/{lock['id']}/unlock"
        status, body = await api["agent"].call("POST", unlock, {"reason": "caller verified"})
        assert (status, body["error"]) == (403, "forbidden")
        status, body = await api["none"].call("POST", unlock, {"reason": "caller verified"})
        assert status == 401
        status, body = await api["supervisor"].call("POST", unlock, {"reason": "id checked"})
        assert (status, body["lock"]["unlocked_by"]) == (200, "sue")
        status, body = await api["compliance"].call("GET", "/api/pin-locks/audit")
        assert [(a["action"], a["actor"], a["reason"]) for a in body["audit"]] == [
            ("pin_unlock", "sue", "id checked"),
            ("lock", "ivr", "10 failures"),
        ]
        status, body = await api["supervisor"].call("POST", unlock, {"reason": "again"})
        assert (status, body["error"]) == (409, "pin-lock-ended")

        heard = await try_pins(app, "13900000011", [(ACCOUNT, PIN)])
        assert VERIFIED_PROMPT in heard


async def test_one_number_trying_five_accounts_is_locked(app_factory: AppFactory) -> None:
    spray = "13911112222"
    async with app_factory() as app:
        first = [("11111111", "000000"), ("22222222", "000000"), ("33333333", "000000")]
        await try_pins(app, spray, first)  # the 3rd failure of a call ends self-service anyway
        heard = await try_pins(app, spray, [("44444444", "000000"), ("55555555", "000000")])
        assert heard.count(WRONG_PROMPT) == 1
        assert LOCK_PROMPT in heard  # the 5th account from this number locks the number
        assert [(a["kind"], a["scope"], a["caller"]) for a in await alerts(app)] == [
            ("pin_locked", "caller", spray),
        ]
        heard = await try_pins(app, spray, [(ACCOUNT, PIN)])  # a real account, right PIN
        assert LOCK_PROMPT in heard
        assert VERIFIED_PROMPT not in heard
        heard = await try_pins(app, "13800000001", [(ACCOUNT, PIN)])  # its owner's phone
        assert VERIFIED_PROMPT in heard
