"""A live read-back speaks numbers in words: the SQL demo back office answers raw amounts, the
call renders the prompt's typed slots in Mandarin, and the switch plays that text."""

from __future__ import annotations

from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

MARGIN = "1,2,4,87654321#,654321"  # Mandarin, account services, margin, 李娜's account + PIN
SPOKEN = (
    "您的客户权益为二十万元，可用资金一万五千元，占用保证金十八万五千元，风险度为百分之九十二点五。"
)


async def test_live_margin_read_back_is_spoken_in_words(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        driver = await CallDriver.dial(app)
        await driver.run(MARGIN)
        await driver.waiting_for_input()  # past the read-back and the risk warning
        driver.hang_up()
        transcript = await driver.ended()
        played = app.renderer.cache_path(SPOKEN, "zh-CN").stem
        assert [media for media in transcript.heard if played in media] != []
        raw = app.renderer.cache_path(SPOKEN.replace("二十万", "200000.00"), "zh-CN").stem
        assert all(raw not in media for media in transcript.heard)
