"""The flow picture is laid out by Graphviz: on every shipped flow, no edge label sits on
another label or on a box, every node and edge is drawn, and a missing `dot` is a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivr.engine.graph import dot, merged_edges
from ivr.engine.loader import load_flows
from ivr.flowversions.picture import PictureUnavailable, flow_layout, flow_svg

ROOT = Path(__file__).resolve().parents[3]
FLOWS = load_flows([ROOT / "flows"])
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (points)


def text_boxes(drawing: list[dict[str, Any]]) -> list[Box]:
    """Every text run of an `_ldraw_` list as a box (centred runs, font size tall)."""
    boxes, size = [], 10.0
    for op in drawing:
        if op["op"] == "F":
            size = float(op["size"])
        elif op["op"] == "T":
            x, y, w = float(op["pt"][0]), float(op["pt"][1]), float(op["width"])
            left = {"c": x - w / 2, "l": x, "r": x - w}[op["align"]]
            boxes.append((left, y - 0.25 * size, left + w, y + 0.75 * size))
    return boxes


def node_box(obj: dict[str, Any]) -> Box:
    x, y = (float(v) for v in obj["pos"].split(","))
    w, h = float(obj["width"]) * 72 / 2, float(obj["height"]) * 72 / 2
    return (x - w, y - h, x + w, y + h)


def overlap(a: Box, b: Box, slack: float = 1.0) -> bool:
    return (
        a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]
    )


@pytest.mark.parametrize("name", sorted(FLOWS.flows))
def test_labels_overlap_neither_labels_nor_boxes(name: str) -> None:
    flow = FLOWS.flows[name]
    layout = flow_layout(flow)
    nodes = {o["name"]: node_box(o) for o in layout["objects"]}
    assert set(flow.nodes) <= set(nodes)
    labels = [
        (f"{e['tail']}->{e['head']}", box)
        for e in layout.get("edges", [])
        for box in text_boxes(e.get("_ldraw_", []))
    ]
    assert len(layout.get("edges", [])) == len(merged_edges(flow))
    for i, (edge, box) in enumerate(labels):
        for other, other_box in labels[i + 1 :]:
            assert not overlap(box, other_box), f"{name}: labels of {edge} and {other} overlap"
        for node, nbox in nodes.items():
            assert not overlap(box, nbox), f"{name}: label of edge {edge} covers box {node}"


def test_overlap_finds_overlapping_boxes() -> None:
    assert overlap((0, 0, 10, 10), (5, 5, 15, 15))
    assert not overlap((0, 0, 10, 10), (10, 0, 20, 10))  # touching is not overlapping


def test_parallel_edges_are_one_edge_with_joined_labels() -> None:
    hotline = FLOWS.flows["hotline"]
    edges = merged_edges(hotline)
    assert len({(s, t) for s, t, _ in edges}) == len(edges)
    assert any(" / " in label for _, _, label in edges)  # e.g. "timeout / overflow"
    assert '"main_menu" -> ' in dot(hotline)


def test_svg_is_graphviz_output_with_every_node() -> None:
    text = flow_svg(FLOWS.flows["emergency"])
    assert text.startswith("<?xml")
    assert "<svg" in text
    for node in FLOWS.flows["emergency"].nodes:
        assert f"<title>{node}</title>" in text


def test_missing_graphviz_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ivr.flowversions.picture.shutil.which", lambda _name: None)
    with pytest.raises(PictureUnavailable) as caught:
        flow_svg(FLOWS.flows["hotline"])
    assert str(caught.value) == (
        "drawing a flow needs Graphviz: install it (apt install graphviz, or scripts/bootstrap)"
    )
