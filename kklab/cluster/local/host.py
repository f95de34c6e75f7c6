"""What the local cluster reads from and cleans up on the host.

The node's IP, which ports are taken (and by whom), the iptables chains that
kube-proxy, kubelet and the CNI plugins create, the ``cni0`` bridge and the
kubelet's mounts. Cleanup removes only chains whose names start with ``KUBE-``
or ``CNI-`` and the rules that jump to them: Docker's own rules stay.

Example:
    >>> chains_to_remove(["-N KUBE-SERVICES", "-N DOCKER", "-N CNI-FORWARD"])
    ['KUBE-SERVICES', 'CNI-FORWARD']
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
from pathlib import Path

from kklab.errors import ClusterError
from kklab.shell import run

OWN_CHAIN = re.compile(r"^(KUBE|CNI)-")
TABLES = ("filter", "nat", "mangle")


def node_ip() -> str:
    """The host's address on its default route (the node's InternalIP)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # connect() on UDP sends nothing; it only picks the outgoing address.
        probe.connect(("192.0.2.254", 9))
        address = str(probe.getsockname()[0])
    except OSError:
        address = ""
    finally:
        probe.close()
    if not address or address.startswith("127."):
        raise ClusterError(
            "the host has no network address outside loopback for the node",
            fix="bring up a network interface with an IPv4 address (a default route)",
        )
    return address


def node_name() -> str:
    """A DNS-1123 name for the node, from the host name."""
    name = re.sub(r"[^a-z0-9-]", "-", socket.gethostname().lower()).strip("-")
    return name or "kklab-node"


def port_owner(port: int) -> str | None:
    """Describe the process listening on TCP ``port``, or None if it is free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        if probe.connect_ex(("127.0.0.1", port)) != 0:
            return None
    found = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r'users:\(\("([^"]+)",pid=(\d+)', found)
    return f"{match.group(1)} (PID {match.group(2)})" if match else "another program"


def chains_to_remove(listing: list[str]) -> list[str]:
    """Names of kklab-made chains in an ``iptables -S`` listing."""
    chains = []
    for line in listing:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "-N" and OWN_CHAIN.match(parts[1]):
            chains.append(parts[1])
    return chains


def rules_to_remove(listing: list[str], chains: list[str]) -> list[list[str]]:
    """The ``-A`` rules of other chains that jump to one of ``chains``, as -D arguments."""
    doomed = set(chains)
    rules = []
    for line in listing:
        # Comments are quoted ("kubernetes service portals"): split as a shell would.
        parts = shlex.split(line)
        if len(parts) < 2 or parts[0] != "-A" or parts[1] in doomed:
            continue
        if any(word in doomed for word in parts[2:]):
            rules.append(["-D", *parts[1:]])
    return rules


def remove_iptables_chains() -> int:
    """Delete KUBE-/CNI- chains and the jumps into them; returns how many chains."""
    if run(["sh", "-c", "command -v iptables"], check=False).returncode != 0:
        return 0
    removed = 0
    for table in TABLES:
        listing = run(["iptables", "-t", table, "-S"], check=False).stdout.splitlines()
        chains = chains_to_remove(listing)
        if not chains:
            continue
        for rule in rules_to_remove(listing, chains):
            run(["iptables", "-t", table, *rule], check=False)
        for chain in chains:
            run(["iptables", "-t", table, "-F", chain], check=False)
        for chain in chains:
            if run(["iptables", "-t", table, "-X", chain], check=False).returncode == 0:
                removed += 1
    return removed


def own_chains_left() -> list[str]:
    """KUBE-/CNI- chains still present, as ``table/chain``."""
    left = []
    for table in TABLES:
        listing = run(["iptables", "-t", table, "-S"], check=False).stdout.splitlines()
        left += [f"{table}/{chain}" for chain in chains_to_remove(listing)]
    return left


def remove_link(name: str) -> bool:
    """Delete a network link if it exists."""
    if not Path(f"/sys/class/net/{name}").exists():
        return False
    run(["ip", "link", "delete", name], check=False)
    return True


def unmount_below(folder: Path) -> int:
    """Unmount everything mounted on or under ``folder`` (deepest first).

    kubelet bind-mounts its root folder onto itself to share mounts, so the
    folder itself is usually a mount point too.
    """
    top = str(folder.resolve())
    mounts = []
    for line in Path("/proc/mounts").read_text().splitlines():
        target = line.split()[1].encode().decode("unicode_escape")
        if target == top or target.startswith(top + os.sep):
            mounts.append(target)
    for target in sorted(mounts, key=len, reverse=True):
        run(["umount", "-l", target], check=False)
    return len(mounts)
