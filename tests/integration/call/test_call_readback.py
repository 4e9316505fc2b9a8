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
        # the read-back holds the caller's data: played under a private per-call URL
        assert any("/prompts/private/" in media for media in transcript.heard)
        await app.call_records.flush()
        detail = await app.store.find_by_channel(driver.channel_id)
        assert detail is not None
        said = [str(t.detail.get("text", "")) for t in detail.trace if t.kind == "prompt"]
        assert SPOKEN in said  # what the voice was given: the amount in words
        assert not any("200000" in text for text in said)
