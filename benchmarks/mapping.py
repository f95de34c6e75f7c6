"""Benchmark: the time to read, build and draw a namespace's map, and the SVG's size.

Not a test: it prints figures. Each recorded snapshot (tests/unit/mapping/recorded)
is built and drawn without a cluster; each namespace named on the command line is
read from the cluster that is up (read-only), then built and drawn. Each figure is
the median of ``--repeat`` runs.

    .venv/bin/python benchmarks/mapping.py [lab-07-storage lab-03-probes ...] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kklab.grading.transport import ApiClientTransport
from kklab.mapping.dot import to_dot
from kklab.mapping.graph import build_graph
from kklab.mapping.reading import Snapshot, read_namespace
from kklab.mapping.rendering import find_dot, render_svg

RECORDED = Path(__file__).resolve().parent.parent / "tests/unit/mapping/recorded"


def _figures(name: str, read: list[float], snapshot: Snapshot, repeat: int) -> str:
    built, drawn = [], []
    svg = ""
    for _ in range(repeat):
        started = time.perf_counter()
        graph = build_graph(snapshot.objects, snapshot.namespace, unread=snapshot.unread)
        dot_text = to_dot(graph)
        built.append(time.perf_counter() - started)
        started = time.perf_counter()
        svg = render_svg(dot_text).svg
        drawn.append(time.perf_counter() - started)
    reading = f"{statistics.median(read) * 1000:6.0f} ms" if read else "recorded"
    return (
        f"{name:<24} {len(graph.nodes):4d} {len(graph.edges):5d}  {reading:>9}"
        f"  {statistics.median(built) * 1000:6.1f} ms  {statistics.median(drawn) * 1000:6.0f} ms"
        f"  {len(svg) / 1024:6.1f} KiB"
    )


def synthetic(apps: int) -> Snapshot:
    """``apps`` Deployments, each with a ReplicaSet, 3 ready pods and a Service routing to them."""
    objects: list[dict[str, Any]] = []
    ready = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    for index in range(apps):
        app = f"app{index}"
        owner = [{"kind": "Deployment", "name": app, "uid": app}]
        objects.append({"kind": "Deployment", "metadata": {"name": app}, "spec": {"replicas": 3}})
        replica_set = {"name": f"{app}-rs", "ownerReferences": owner}
        objects.append({"kind": "ReplicaSet", "metadata": replica_set, "spec": {"replicas": 3}})
        pods = [f"{app}-rs-{n}" for n in range(3)]
        for pod in pods:
            metadata: dict[str, Any] = {"name": pod, "labels": {"app": app}}
            metadata["ownerReferences"] = [{"kind": "ReplicaSet", "name": f"{app}-rs"}]
            objects.append({"kind": "Pod", "metadata": metadata, "status": ready})
        service = {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]}
        objects.append({"kind": "Service", "metadata": {"name": app}, "spec": service})
        addresses = [{"ip": "10.0.0.1", "targetRef": {"kind": "Pod", "name": pod}} for pod in pods]
        subsets = [{"addresses": addresses, "ports": [{"port": 8080}]}]
        objects.append({"kind": "Endpoints", "metadata": {"name": app}, "subsets": subsets})
    return Snapshot("synthetic", tuple(objects))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("namespace", nargs="*", help="namespaces to read from the cluster")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if find_dot() is None:
        print("Graphviz is not installed: run tools/ensure_graphviz.sh")
        return
    print(
        f"{'map':<24} {'objs':>4} {'rels':>5}  {'read':>9}  {'build+DOT':>9}  {'dot -Tsvg':>9}  SVG"
    )
    for path in sorted(RECORDED.glob("*.json")):
        snapshot = Snapshot.from_json(path.read_text(encoding="utf-8"))
        print(_figures(path.stem, [], snapshot, args.repeat))
    for apps in (10, 30):
        print(_figures(f"synthetic {apps} apps", [], synthetic(apps), args.repeat))
    if args.namespace:
        from kklab.connecting import connect

        transport = ApiClientTransport(connect().api_client)
        for namespace in args.namespace:
            read = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                snapshot = read_namespace(transport, namespace)
                read.append(time.perf_counter() - started)
            print(_figures(namespace, read, snapshot, args.repeat))


if __name__ == "__main__":
    main()
