"""Pictures of a flow for admins: Mermaid and Graphviz DOT text, or a simple SVG (pure).

Rules: output depends only on the flow (deterministic order: nodes in file order); labels are
escaped for their format; the SVG is laid out by breadth-first depth from the start node without
any external tool.
"""

from __future__ import annotations

from collections import deque
from html import escape

from ivr.engine import model as m

Edge = tuple[str, str, str]  # source node, target (node id or "flow:NAME"), label


def flow_edges(flow: m.Flow) -> list[Edge]:
    out: list[Edge] = []
    for node in flow.nodes.values():
        out.extend(node_edges(node))
    return out


def node_edges(node: m.Node) -> list[Edge]:
    match node:
        case m.MenuNode():
            edges = [(node.id, o.next, option_label(o)) for o in node.options]
            return [*edges, (node.id, node.fallback, "fallback")]
        case m.BranchNode():
            edges = [(node.id, c.next, f"case {i}") for i, c in enumerate(node.cases, 1)]
            return [*edges, (node.id, node.otherwise, "otherwise")]
        case m.LookupNode():
            edges = [(node.id, t, k) for k, t in node.results.items()]
            return edges + ([(node.id, node.default, "default")] if node.default else [])
        case m.CollectNode():
            return [(node.id, node.next, node.var), (node.id, node.fallback, "fallback")]
        case m.QueueNode():
            pairs = (("timeout", node.on_timeout), ("overflow", node.on_overflow))
            return [(node.id, t, label) for label, t in pairs if t is not None]
        case m.GotoNode():
            if node.flow is not None:
                return [(node.id, f"flow:{node.flow}", node.node or "")]
            return [(node.id, node.node or "", "")]
        case m.SayNode() | m.SetNode() | m.LanguageNode() | m.RecordNode() | m.ResultNode():
            return [(node.id, node.next, "")]
        case _:
            return []


def option_label(option: m.Option) -> str:
    parts = [option.key] if option.key else []
    if option.label or option.intent:
        parts.append(option.label or option.intent or "")
    return " ".join(parts)


def node_label(node: m.Node) -> str:
    extra = node.label or detail(node)
    return f"{node.id}\n{m.node_type(node)}" + (f": {extra}" if extra else "")


def detail(node: m.Node) -> str:
    match node:
        case m.QueueNode():
            return f"{node.queue} ({node.priority})"
        case m.LookupNode():
            return node.provider
        case m.RecordNode():
            return node.purpose
        case m.TransferNode():
            return node.target
        case _:
            return ""


def _mid(target: str) -> str:
    return "f_" + target[5:] if target.startswith("flow:") else "n_" + target


def _mermaid_text(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def mermaid(flow: m.Flow) -> str:
    lines = ["flowchart TD"]
    for node in flow.nodes.values():
        lines.append(f'  n_{node.id}["{_mermaid_text(node_label(node))}"]')
    external = sorted({t for _, t, _ in flow_edges(flow) if t.startswith("flow:")})
    lines.extend(f'  {_mid(t)}[["flow {escape(t[5:])}"]]' for t in external)
    for source, target, label in flow_edges(flow):
        arrow = f' -- "{_mermaid_text(label)}" -->' if label else " -->"
        lines.append(f"  n_{source}{arrow} {_mid(target)}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def dot(flow: m.Flow) -> str:
    lines = [f'digraph "{_dot_text(flow.name)}" {{', "  rankdir=TB;", "  node [shape=box];"]
    for node in flow.nodes.values():
        shape = ", shape=doubleoctagon" if node.id == flow.start else ""
        lines.append(f'  "{node.id}" [label="{_dot_text(node_label(node))}"{shape}];')
    for source, target, label in flow_edges(flow):
        attrs = f' [label="{_dot_text(label)}"]' if label else ""
        lines.append(f'  "{source}" -> "{_dot_text(target)}"{attrs};')
    lines.append("}")
    return "\n".join(lines) + "\n"


BOX_W, BOX_H, GAP_X, GAP_Y = 180, 44, 40, 60


def layers(flow: m.Flow) -> list[list[str]]:
    """Node ids (and external flows) grouped by breadth-first depth from the start node."""
    targets: dict[str, list[str]] = {}
    for source, target, _ in flow_edges(flow):
        targets.setdefault(source, []).append(target)
    depth = {flow.start: 0}
    todo = deque([flow.start])
    while todo:
        current = todo.popleft()
        for target in targets.get(current, []):
            if target not in depth:
                depth[target] = depth[current] + 1
                todo.append(target)
    last = max(depth.values(), default=0) + 1
    for node_id in flow.nodes:
        depth.setdefault(node_id, last)
    rows: dict[int, list[str]] = {}
    for name, level in depth.items():
        rows.setdefault(level, []).append(name)
    return [rows[level] for level in sorted(rows)]


def svg(flow: m.Flow) -> str:
    rows = layers(flow)
    where: dict[str, tuple[int, int]] = {}
    for y, row in enumerate(rows):
        for x, name in enumerate(row):
            where[name] = (GAP_X + x * (BOX_W + GAP_X), GAP_Y // 2 + y * (BOX_H + GAP_Y))
    width = GAP_X + max(len(r) for r in rows) * (BOX_W + GAP_X)
    height = GAP_Y + len(rows) * (BOX_H + GAP_Y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f"<title>{escape(flow.name)}</title>",
    ]
    for source, target, label in flow_edges(flow):
        if source in where and target in where:
            parts.append(svg_edge(where[source], where[target], label))
    for name, (x, y) in where.items():
        node = flow.nodes.get(name)
        text = node_label(node) if node is not None else f"flow {name[5:]}"
        parts.append(svg_box(x, y, text, name == flow.start))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def svg_edge(a: tuple[int, int], b: tuple[int, int], label: str) -> str:
    x1, y1 = a[0] + BOX_W // 2, a[1] + BOX_H
    x2, y2 = b[0] + BOX_W // 2, b[1]
    line = f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555"/>'
    if not label:
        return line
    mx, my = (x1 + x2) // 2, (y1 + y2) // 2
    return line + f'<text x="{mx}" y="{my}" fill="#a33">{escape(label)}</text>'


def svg_box(x: int, y: int, text: str, start: bool) -> str:
    first, _, second = text.partition("\n")
    stroke = "#06c" if start else "#333"
    return (
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" '
        f'stroke="{stroke}"/>'
        f'<text x="{x + 8}" y="{y + 18}" font-weight="bold">{escape(first)}</text>'
        f'<text x="{x + 8}" y="{y + 34}">{escape(second[:28])}</text>'
    )


RENDERERS = {"mermaid": mermaid, "dot": dot, "svg": svg}
