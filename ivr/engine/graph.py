"""Pictures of a flow for admins, as text: Mermaid and Graphviz DOT (pure).

Rules: output depends only on the flow (deterministic order: nodes in file order); labels are
escaped for their format; edges between the same two nodes are drawn once with their labels
joined. Laying the DOT out (SVG) is Graphviz's job, run by `ivr.flowversions.picture`: we do
not lay graphs out by hand. In the DOT (so in the SVG), a node carries `id="node-<id>"` and a
link `#L<line>` to the line of its YAML key; an edge `id="edge-<source>-><target>"`: the flow
editor page opens the line of a clicked node and marks a simulated call's path by these.
"""

from __future__ import annotations

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
    for source, target, label in merged_edges(flow):
        arrow = f' -- "{_mermaid_text(label)}" -->' if label else " -->"
        lines.append(f"  n_{source}{arrow} {_mid(target)}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


SHAPES = {"menu": "box", "branch": "diamond", "queue": "house", "hangup": "octagon"}
FONT = "Noto Sans CJK SC"  # Debian fonts-noto-cjk: Chinese labels render, not boxes


def merged_edges(flow: m.Flow) -> list[Edge]:
    """One edge per (source, target), its labels joined (`fallback / timeout`), in file order:
    parallel edges to the same node would otherwise stack their labels on one another."""
    labels: dict[tuple[str, str], list[str]] = {}
    for source, target, label in flow_edges(flow):
        found = labels.setdefault((source, target), [])
        if label and label not in found:
            found.append(label)
    return [(s, t, " / ".join(ls)) for (s, t), ls in labels.items()]


def dot(flow: m.Flow) -> str:
    """Graphviz DOT of `flow`, laid out top-down by `dot` (layered: few crossings, edge labels
    placed as part of the layout so they never overlap each other or a box)."""
    lines = [
        f'digraph "{_dot_text(flow.name)}" {{',
        "  rankdir=TB; nodesep=0.35; ranksep=0.5; splines=true; forcelabels=false;",
        f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="{FONT}",'
        " fontsize=11];",
        f'  edge [fontname="{FONT}", fontsize=10, fontcolor="#a33333", color="#555555"];',
    ]
    for node in flow.nodes.values():
        shape = SHAPES.get(m.node_type(node), "box")
        extra = ', penwidth=2, color="#0066cc"' if node.id == flow.start else ""
        label = _dot_text(node_label(node))
        where = f'id="node-{_dot_text(node.id)}", URL="#L{node.pos.line}"'
        lines.append(f'  "{_dot_text(node.id)}" [label="{label}", shape={shape}, {where}{extra}];')
    external = sorted({t for _, t, _ in flow_edges(flow) if t.startswith("flow:")})
    for target in external:
        lines.append(
            f'  "{_dot_text(target)}" [label="flow {_dot_text(target[5:])}", shape=component,'
            f' id="node-{_dot_text(target)}"];'
        )
    for source, target, label in merged_edges(flow):
        named = f'id="edge-{_dot_text(source)}->{_dot_text(target)}"'
        attrs = f' [label="{_dot_text(label)}", {named}]' if label else f" [{named}]"
        lines.append(f'  "{_dot_text(source)}" -> "{_dot_text(target)}"{attrs};')
    lines.append("}")
    return "\n".join(lines) + "\n"


TEXT_RENDERERS = {"mermaid": mermaid, "dot": dot}
