"""The configuration files of the local cluster, rendered as plain data.

Pure functions: each takes the cluster's layout and returns a dict (written
as YAML or JSON by the provider), so they are tested without a cluster.

Example:
    >>> layout = Layout.at(Path("/tmp/kk"), node_name="n1", node_ip="192.0.2.2")
    >>> kubeconfig(layout, "admin", "kklab-local")["contexts"][0]["name"]
    'kklab-local'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
POD_CIDR = "10.244.0.0/16"
NODE_POD_CIDR = "10.244.0.0/24"
CLUSTER_DOMAIN = "cluster.local"
API_PORT = 6443
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
FEATURE_GATES = {"TTLAfterFinished": True, "EphemeralContainers": True}

# Ports the components listen on; any of them taken means we cannot start.
PORTS = {
    ETCD_CLIENT_PORT: "etcd",
    ETCD_PEER_PORT: "etcd (peer)",
    API_PORT: "kube-apiserver",
    10250: "kubelet",
    10248: "kubelet health",
    10249: "kube-proxy metrics",
    10256: "kube-proxy health",
    10257: "kube-controller-manager",
    10259: "kube-scheduler",
}


@dataclass(frozen=True)
class Layout:
    """Where a local cluster keeps each of its files."""

    root: Path
    node_name: str
    node_ip: str
    like: str = ""
    """The profile: ``""`` (plain local) or ``"kind"`` (what kind gives, named as kind names)."""

    @classmethod
    def at(cls, root: Path, *, node_name: str, node_ip: str, like: str = "") -> Layout:
        return cls(root, node_name, node_ip, like)

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def kubelet_root(self) -> Path:
        return self.root / "kubelet"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_data(self) -> Path:
        return self.root / "cni" / "data"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def static_pods(self) -> Path:
        """The kubelet's ``staticPodPath``: each manifest here runs as a static pod."""
        return self.root / "manifests"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def dns(self) -> Path:
        return self.root / "dns"

    @property
    def state_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def learner_kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    def kubeconfig_for(self, identity: str) -> Path:
        return self.config / f"{identity}.kubeconfig"

    @property
    def api_url(self) -> str:
        return f"https://127.0.0.1:{API_PORT}"

    def removable(self) -> list[Path]:
        """Folders a fresh start must not inherit (logs are kept)."""
        return [
            self.pki,
            self.etcd_data,
            self.kubelet_root,
            self.root / "cni",
            self.config,
            self.dns,
            self.static_pods,
        ]


def kubeconfig(layout: Layout, identity: str, context: str) -> dict[str, Any]:
    """A kubeconfig that authenticates with ``identity``'s client certificate."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": context,
                "cluster": {
                    "server": layout.api_url,
                    "certificate-authority": str(layout.pki / "ca.crt"),
                },
            }
        ],
        "users": [
            {
                "name": context,
                "user": {
                    "client-certificate": str(layout.pki / f"{identity}.crt"),
                    "client-key": str(layout.pki / f"{identity}.key"),
                },
            }
        ],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": context, "user": context, "namespace": "default"},
            }
        ],
        "current-context": context,
    }


def kubelet_config(layout: Layout) -> dict[str, Any]:
    """KubeletConfiguration for a node on Docker with cgroupfs and kklab's DNS."""
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": "0.0.0.0",
        "port": 10250,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(layout.pki / "ca.crt")},
        },
        "authorization": {"mode": "Webhook"},
        "tlsCertFile": str(layout.pki / "kubelet.crt"),
        "tlsPrivateKeyFile": str(layout.pki / "kubelet.key"),
        "cgroupDriver": "cgroupfs",
        "clusterDomain": CLUSTER_DOMAIN,
        "clusterDNS": [DNS_SERVICE_IP],
        "failSwapOn": False,
        "resolvConf": "/etc/resolv.conf",
        "staticPodPath": str(layout.static_pods),
        "serializeImagePulls": False,
        # The disk may be fuller than the defaults allow; never evict or
        # garbage-collect the locally built images, they cannot be pulled again.
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "featureGates": FEATURE_GATES,
        "nodeStatusReportFrequency": "10s",
        "volumeStatsAggPeriod": "10s",
    }


def kube_proxy_config(layout: Layout) -> dict[str, Any]:
    """KubeProxyConfiguration in iptables mode that leaves host sysctls alone."""
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clusterCIDR": POD_CIDR,
        "hostnameOverride": layout.node_name,
        "bindAddress": "0.0.0.0",
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        "clientConnection": {"kubeconfig": str(layout.kubeconfig_for("kube-proxy"))},
        "conntrack": {"maxPerCore": 0},
        "oomScoreAdj": 0,
        "featureGates": FEATURE_GATES,
    }


def cni_conflist(layout: Layout) -> dict[str, Any]:
    """Bridge + portmap + firewall.

    Docker sets the FORWARD policy to DROP; the firewall plugin adds the
    accept rules pod traffic needs.
    """
    return {
        "cniVersion": "0.4.0",
        "name": "kklab",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": NODE_POD_CIDR}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": str(layout.cni_data),
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "firewall", "backend": "iptables"},
        ],
    }


def gates_flag() -> str:
    return ",".join(f"{name}={str(on).lower()}" for name, on in FEATURE_GATES.items())
