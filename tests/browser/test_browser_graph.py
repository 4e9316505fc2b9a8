"""The flow graph in the editor page: a click on a node opens its YAML line in the editor
(selected, in view, marked in the gutter); a "try it" run is drawn on the graph: the marked
nodes are exactly the run's nodes of this flow, the marked edges exactly the flow's edges
between consecutive visited nodes."""

from __future__ import annotations

import itertools
from typing import Any

from playwright.async_api import Browser, expect

from ivr.engine.graph import merged_edges
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory

pytestmark = needs_chromium

FAR_NODE = "leave_message"  # far down the hotline's YAML: the editor must scroll to it


async def test_click_a_node_and_see_a_simulated_path(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        flow = app.flows().flows["hotline"]
        token = await app.users.add_user("ann", ["admin"])
        page = await open_page(browser)
        await login(page, app, token, "/admin/flows")
        await page.goto(f"{app.http_url}/admin/flows/hotline")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await expect(page.locator("#graph svg")).to_have_count(1)

        for node_id in ("main_menu", FAR_NODE):
            line = flow.nodes[node_id].pos.line
            await page.locator(f'#graph g.node[id="node-{node_id}"]').click()
            await expect(page.locator("#yaml")).to_have_attribute("data-line", str(line))
            await expect(page.locator("#gutter .at")).to_have_attribute("data-line", str(line))
            shown: dict[str, Any] = await page.locator("#yaml").evaluate(
                """(e) => ({
                    selected: e.value.slice(e.selectionStart, e.selectionEnd),
                    line: e.value.slice(0, e.selectionStart).split("\\n").length,
                    top: e.scrollTop, height: e.clientHeight })"""
            )
            assert shown["line"] == line
            assert shown["selected"].strip().startswith(f"{node_id}:")
            assert shown["top"] <= (line - 1) * 18 < shown["top"] + shown["height"]
        await shot(page, "admin-flow-graph-line")

        await page.fill("#sim-inputs", "1,0")
        async with page.expect_response(lambda r: r.url.endswith("/simulate")) as answer:
            await page.click("#simulate")
        visited = (await (await answer.value).json())["visited"]
        ours = [v["node"] for v in visited if v["flow"] == "hotline"]
        assert len(ours) >= 3
        await expect(page.locator("#graph")).to_have_attribute("data-visited", str(len(set(ours))))
        marked = await page.locator("#graph g.node.visited").evaluate_all("gs => gs.map(g => g.id)")
        assert sorted(marked) == sorted({f"node-{n}" for n in ours})

        edges = {(s, t) for s, t, _ in merged_edges(flow)}
        steps = [
            (a["node"], b["node"] if b["flow"] == "hotline" else f"flow:{b['flow']}")
            for a, b in itertools.pairwise(visited)
            if a["flow"] == "hotline"
        ]
        taken = {f"edge-{s}->{t}" for s, t in steps if (s, t) in edges}
        drawn = await page.locator("#graph g.edge.visited").evaluate_all("gs => gs.map(g => g.id)")
        assert taken
        assert sorted(drawn) == sorted(taken)
        await page.locator("#graph g.node.visited").first.scroll_into_view_if_needed()
        await shot(page, "admin-flow-graph-path")
