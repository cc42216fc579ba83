"""Mutual TLS between partner centres: each centre its own CA, each partner's CA imported by the other.

A centre's certificate names the centre (CN = its organisation slug) and is valid for both ends of a
connection (server and client auth), so whichever side dials, both present one. TLS proves the chain to
*some* imported CA; :func:`peer_centre` then insists that the certificate was issued by the CA imported
for the centre it names (partner A's CA cannot mint a certificate for B) and that it is not revoked.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class PeerRefused(Exception):
    """The peer's certificate is not acceptable for any configured partner; the message says why."""


@dataclass(frozen=True)
class Identity:
    """This centre's files: its certificate and key, and its CA (the CA file is what partners import)."""

    cert_file: Path
    key_file: Path
    ca_file: Path


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_ca(centre: str, now: dt.datetime, days: int = 3650) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a new CA for ``centre``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{centre} borderwatch federation CA", centre)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def make_centre_cert(
    centre: str,
    ca_cert_pem: bytes,
    ca_key_pem: bytes,
    now: dt.datetime,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    days: int = 825,
) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for the centre's federation endpoint, signed by its CA."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key must be an EC key made by 'borderwatch federation init'")
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(centre, centre))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def write_identity(directory: Path, centre: str, now: dt.datetime, hosts: tuple[str, ...]) -> Identity:
    """Makes a CA and the centre's certificate under ``directory``; keys are written owner-only."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem, ca_key = make_ca(centre, now)
    cert_pem, key_pem = make_centre_cert(centre, ca_pem, ca_key, now, hosts)
    identity = Identity(directory / f"{centre}.pem", directory / f"{centre}-key.pem", directory / "ca.pem")
    for path, data, secret in (
        (identity.ca_file, ca_pem, False),
        (directory / "ca-key.pem", ca_key, True),
        (identity.cert_file, cert_pem, False),
        (identity.key_file, key_pem, True),
    ):
        path.write_bytes(data)
        if secret:
            path.chmod(0o600)
    return identity


def _context(purpose: ssl.Purpose, identity: Identity, partner_ca_files: list[Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(purpose)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(identity.cert_file, identity.key_file)
    context.verify_mode = ssl.CERT_REQUIRED
    if not partner_ca_files:
        raise ValueError("no partner CA imported: a federation endpoint would trust nobody")
    for ca_file in partner_ca_files:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def server_context(identity: Identity, partner_ca_files: list[Path]) -> ssl.SSLContext:
    """Requires a client certificate from one of the partners' CAs (mutual TLS)."""
    return _context(ssl.Purpose.CLIENT_AUTH, identity, partner_ca_files)


def client_context(identity: Identity, partner_ca_files: list[Path]) -> ssl.SSLContext:
    """Checks the partner's certificate and host name, and presents ours."""
    context = _context(ssl.Purpose.SERVER_AUTH, identity, partner_ca_files)
    context.check_hostname = True
    return context


@dataclass(frozen=True)
class PartnerTrust:
    centre: str
    ca_pem: bytes
    revoked_serials: frozenset[int] = frozenset()


def peer_centre(peer_der: bytes | None, partners: dict[str, PartnerTrust], now: dt.datetime) -> str:
    """The partner a verified TLS peer certificate belongs to, or :class:`PeerRefused`."""
    if not peer_der:
        raise PeerRefused("no client certificate")
    cert = x509.load_der_x509_certificate(peer_der)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    centre = str(names[0].value) if names else ""
    trust = partners.get(centre)
    if trust is None:
        raise PeerRefused(f"certificate names {centre!r}, which is not a partner")
    ca = x509.load_pem_x509_certificate(trust.ca_pem)
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception) as exc:
        raise PeerRefused(
            f"certificate for {centre!r} is not issued by the CA imported for it ({exc})"
        ) from None
    if cert.serial_number in trust.revoked_serials:
        raise PeerRefused(f"certificate {cert.serial_number:x} of {centre!r} is revoked")
    if not (cert.not_valid_before_utc <= now < cert.not_valid_after_utc):
        raise PeerRefused(f"certificate of {centre!r} is not valid now")
    return centre


def cert_serial(cert_pem: bytes) -> int:
    return int(x509.load_pem_x509_certificate(cert_pem).serial_number)
