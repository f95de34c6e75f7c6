"""Certificates for a throwaway single-node cluster: one CA for Kubernetes, one for etcd.

etcd has a CA of its own, as kubeadm sets it up: it accepts only clients with a
certificate from that CA (the API server, and kklab's health probe), so none of
the cluster's other identities, and nothing without a certificate, can read it.

ECDSA P-256 keys keep generation instant. Every client identity the cluster
needs is listed in ``CLIENTS``; RBAC reads the user from the CN and the groups
from O.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pki = create(folder, node_name="node1", node_ip="192.0.2.2", service_ip="10.96.0.1")
    >>> sorted(p.name for p in folder.glob("*.crt"))[:3]
    ['admin.crt', 'apiserver-etcd-client.crt', 'apiserver-kubelet-client.crt']
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=365)

# file stem -> (CN, O)
CLIENTS = {
    "admin": ("kklab-admin", "system:masters"),
    "controller-manager": ("system:kube-controller-manager", None),
    "scheduler": ("system:kube-scheduler", None),
    "kube-proxy": ("system:kube-proxy", None),
    "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", "system:masters"),
}


# etcd's own CA signs these: file stem -> CN (etcd-server also serves its peer port).
ETCD_CLIENTS = {
    "apiserver-etcd-client": "kube-apiserver-etcd-client",
    "etcd-healthcheck-client": "kklab-etcd-healthcheck-client",
}


@dataclass(frozen=True)
class Pki:
    """Paths of the files ``create`` wrote."""

    folder: Path

    def cert(self, stem: str) -> Path:
        return self.folder / f"{stem}.crt"

    def key(self, stem: str) -> Path:
        return self.folder / f"{stem}.key"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


def _sign(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server_names: list[str] | None = None,
    server_ips: list[str] | None = None,
    client: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else []
        if server_names or server_ips:
            usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
            alt: list[x509.GeneralName] = [x509.DNSName(n) for n in server_names or []]
            alt += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in server_ips or []]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def create(folder: Path, *, node_name: str, node_ip: str, service_ip: str) -> Pki:
    """Write the CA, server and client certificates and the service-account keys."""
    folder.mkdir(parents=True, exist_ok=True)
    pki = Pki(folder)
    ca_key = _key()
    ca_name = _name("kklab-ca")
    ca_cert = _sign(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True)
    _write_key(pki.key("ca"), ca_key)
    _write_cert(pki.cert("ca"), ca_cert)

    def leaf(stem: str, subject: x509.Name, **kwargs: object) -> None:
        key = _key()
        cert = _sign(subject, key.public_key(), ca_name, ca_key, **kwargs)  # type: ignore[arg-type]
        _write_key(pki.key(stem), key)
        _write_cert(pki.cert(stem), cert)

    leaf(
        "apiserver",
        _name("kube-apiserver"),
        server_names=[
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
            "localhost",
            node_name,
        ],
        server_ips=["127.0.0.1", node_ip, service_ip],
    )
    leaf(
        "kubelet",
        _name(f"system:node:{node_name}", "system:nodes"),
        server_names=[node_name, "localhost"],
        server_ips=["127.0.0.1", node_ip],
        client=True,
    )
    for stem, (common_name, organization) in CLIENTS.items():
        leaf(stem, _name(common_name, organization), client=True)
    create_etcd(folder)
    _write_key(pki.key("service-account"), _key())
    sa_public = (
        serialization.load_pem_private_key(pki.key("service-account").read_bytes(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (folder / "service-account.pub").write_bytes(sa_public)
    return pki


def create_etcd(folder: Path) -> bool:
    """etcd's CA, its server certificate and its clients'; False when they exist already.

    A cluster made before etcd had TLS gets them on its next start.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> create_etcd(folder), create_etcd(folder)
    (True, False)
    >>> sorted(p.stem for p in folder.glob("etcd*.crt"))
    ['etcd-ca', 'etcd-healthcheck-client', 'etcd-server']
    """
    pki = Pki(folder)
    if pki.cert("etcd-ca").exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name("kklab-etcd-ca")
    _write_key(pki.key("etcd-ca"), ca_key)
    _write_cert(pki.cert("etcd-ca"), _sign(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True))

    def leaf(stem: str, common_name: str, **kwargs: object) -> None:
        key = _key()
        cert = _sign(_name(common_name), key.public_key(), ca_name, ca_key, **kwargs)  # type: ignore[arg-type]
        _write_key(pki.key(stem), key)
        _write_cert(pki.cert(stem), cert)

    leaf(
        "etcd-server",
        "kklab-etcd",
        server_names=["localhost"],
        server_ips=["127.0.0.1"],
        client=True,
    )
    for stem, common_name in ETCD_CLIENTS.items():
        leaf(stem, common_name, client=True)
    return True
