"""A Result as networkx graphs, for notebooks and for the views that walk the graph.

Each node and edge carries the attributes the JSON output gives it (render/json_out.py is the
one place that decides them), so what a notebook reads is what `export --format json` writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from flowinsight.result import Result


def call_graph(result: Result) -> nx.DiGraph[str]:
    """Nodes: actors, methods, functions and drivers (attribute `kind`); edges: call flows
    (submissions from caller to callee, `count`, `stats`, `per_s`)."""
    return _graph(result, "callFlows")


def data_flow_graph(result: Result) -> nx.DiGraph[str]:
    """The same nodes; edges: data flows (producer to consumer, `count`, `bytes`, `unsized`,
    `bytes_per_s`, `latency_ms`)."""
    return _graph(result, "dataFlows")


def topology(result: Result) -> nx.DiGraph[str]:
    """Every node, and an edge wherever a call or a data flow goes: what the views walk
    (no attributes: cheap on big results)."""
    import networkx as nx

    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(n.id for n in result.nodes)
    graph.add_edges_from((c.source, c.target) for c in result.call_flows)
    graph.add_edges_from((d.source, d.target) for d in result.data_flows)
    return graph


_NODE_KINDS = (("actors", "actor"), ("methods", "method"), ("functions", ""))


def _graph(result: Result, edges: str) -> nx.DiGraph[str]:
    import networkx as nx

    from flowinsight.render.json_out import to_document

    document = to_document(result)
    kinds = {n.id: n.kind.value for n in result.nodes}
    graph: nx.DiGraph[str] = nx.DiGraph(schema_version=document["schema_version"])
    for group, _ in _NODE_KINDS:
        for node in document[group]:
            attrs: dict[str, Any] = {k: v for k, v in node.items() if k != "id"}
            graph.add_node(node["id"], kind=kinds.get(node["id"], ""), **attrs)
    for edge in document[edges]:
        attrs = {k: v for k, v in edge.items() if k not in ("source", "target")}
        graph.add_edge(edge["source"], edge["target"], **attrs)
    return graph
