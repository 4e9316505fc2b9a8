"""FlowVersions on a real SQLite file: seed, refused publish (exact errors), publish, rollback,
audit, listing, reload by another service on the same database, races, immutability."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from ivr.flowversions.service import AlreadyLive, FlowRejected, FlowVersions
from ivr.store import CallStore
from ivr.store.flowversions import LiveChange, StaleGeneration, VersionNotFound
from tests.helpers import until
from tests.integration.flowversions.conftest import (
    FLOWS,
    HOTLINE,
    hotline_with,
    make_service,
    option_1_position,
)

SHIPPED = ["consult", "emergency", "hotline", "margin_notice", "survey"]


def next_of_option_1(service: FlowVersions) -> str:
    node = service.live().flows["hotline"].nodes["language_menu"]
    return str(node.options[0].next)  # type: ignore[union-attr]


async def test_files_seed_version_1_of_each_flow_once(service: FlowVersions, store: CallStore):
    summaries = await service.store.summaries()
    assert [(s.flow, s.live, s.latest, s.versions) for s in summaries] == [
        (name, 1, 1, 1) for name in SHIPPED
    ]
    (v1,) = await service.store.versions("hotline")
    assert (v1.number, v1.author, v1.comment) == (1, "seed", "seeded from file")
    assert (await service.store.version_text("hotline", 1)).yaml_text == HOTLINE
    audit = await service.store.audit()
    assert sorted((a.action, a.flow, a.from_version, a.to_version) for a in audit) == [
        ("seed", name, None, 1) for name in SHIPPED
    ]
    again = make_service(store)
    await again.start(FLOWS)  # a second start (or process) seeds nothing more
    assert len(await again.store.audit()) == len(SHIPPED)
    assert sorted(again.live().flows) == SHIPPED


async def test_invalid_publish_is_refused_with_the_exact_errors(service: FlowVersions):
    line, column = option_1_position()
    with pytest.raises(FlowRejected) as caught:
        await service.publish_text("hotline", hotline_with("hours_chek"), "ann", "typo")
    assert str(caught.value) == (
        f"flows/hotline.yaml:{line}:{column}: node 'language_menu': option 'next' points to"
        " unknown node 'hours_chek' (did you mean 'hours_check'?)"
    )
    assert [v.number for v in await service.store.versions("hotline")] == [1]  # nothing saved
    assert len(await service.store.audit("hotline")) == 1


async def test_publish_then_rollback_are_live_and_audited(service: FlowVersions):
    version, published = await service.publish_text(
        "hotline", hotline_with("goodbye"), "ann", "menu 1 hangs up"
    )
    assert (version.number, version.author, version.comment) == (2, "ann", "menu 1 hangs up")
    assert next_of_option_1(service) == "goodbye"  # in-process: at once
    assert (published.action, published.from_version, published.to_version) == ("publish", 1, 2)

    rolled = await service.rollback("hotline", 1, "bob", "undo")
    assert next_of_option_1(service) == "welcome"
    versions = await service.store.versions("hotline")
    assert [(v.number, v.author) for v in versions] == [(1, "seed"), (2, "ann")]
    audit = await service.store.audit("hotline")
    assert [(a.id, a.actor, a.action, a.from_version, a.to_version, a.comment) for a in audit] == [
        (rolled.id, "bob", "rollback", 2, 1, "undo"),
        (published.id, "ann", "publish", 1, 2, "menu 1 hangs up"),
        (audit[2].id, "seed", "seed", None, 1, "seeded from file"),
    ]
    assert "-        next: welcome\n+        next: goodbye\n" in await service.diff("hotline", 1, 2)


async def test_publish_of_live_text_and_unknown_versions_are_refused(service: FlowVersions):
    with pytest.raises(AlreadyLive) as same:
        await service.publish_text("hotline", HOTLINE, "ann")
    assert str(same.value) == "version 1 of flow 'hotline' has this text and is live"
    with pytest.raises(VersionNotFound) as missing:
        await service.rollback("hotline", 7, "ann")
    assert (
        str(missing.value) == "flow 'hotline' has no version 7 (see `ivr flows versions hotline`)"
    )


async def test_a_change_elsewhere_is_picked_up_by_polling(service: FlowVersions, store: CallStore):
    other = make_service(store)  # another process on the same database
    await other.start(None)
    service.start_polling()
    await other.publish_text("hotline", hotline_with("goodbye"), "ann")
    await until(lambda: next_of_option_1(service) == "goodbye", what="the poll reload")
    await other.rollback("hotline", 1, "ann")
    await until(lambda: next_of_option_1(service) == "welcome", what="the rollback reload")


async def test_a_stale_generation_writes_nothing(service: FlowVersions):
    generation = await service.store.generation()
    await service.store.save("hotline", hotline_with("goodbye"), "ann", "")
    change = LiveChange("hotline", 2, "publish", "ann", "")
    with pytest.raises(StaleGeneration):
        await service.store.make_live([change], generation - 1)
    assert (await service.store.live()).numbers["hotline"] == 1
    assert await service.store.generation() == generation


async def test_versions_and_audit_rows_are_immutable(service: FlowVersions, store: CallStore):
    for statement in (
        "UPDATE flow_versions SET yaml_text = 'x'",
        "DELETE FROM flow_versions",
        "UPDATE flow_audit SET actor = 'x'",
        "DELETE FROM flow_audit",
    ):
        with pytest.raises(IntegrityError, match="rows are immutable"):
            async with store.engine.begin() as conn:  # one transaction each (PostgreSQL)
                await conn.execute(text(statement))


async def test_a_database_outage_while_polling_is_logged_once_each_way(
    service: FlowVersions, store: CallStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    real, failed = service.store.generation, [0]
    locked = sqlite3.OperationalError("database is locked")

    async def generation() -> int:  # the database refuses, as a locked or lost one does
        if failed[0] < 6:
            failed[0] += 1
            raise OperationalError("SELECT generation FROM flow_live", {}, locked)
        return await real()

    service.store.generation = generation  # type: ignore[method-assign]
    service.start_polling()
    other = make_service(store)
    await other.start(None)
    await other.publish_text("hotline", hotline_with("goodbye"), "ann")
    await until(lambda: next_of_option_1(service) == "goodbye", what="reloaded after the outage")
    assert failed[0] == 6
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "ivr.outage"]
    assert lines[0] == (
        "WARNING",
        "flow versions poll: OperationalError: (sqlite3.OperationalError) database is locked;"
        " retrying with backoff",
    )
    assert lines[1][1].startswith("flow versions poll: recovered after 6 failures in ")
    assert len(lines) == 2
    assert not [r for r in caplog.records if r.exc_info]
    await service.aclose()  # stops at once, mid-pause
