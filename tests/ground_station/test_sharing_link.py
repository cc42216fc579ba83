"""The federation link under mutual TLS on 127.0.0.1: delivery, resume after a drop, and every attack
the issue lists refused, audited, with the link to another partner unaffected. Waits on events only."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ground_station.sharing import wire
from ground_station.sharing.link import FederationNode, LinkLimits
from ground_station.sharing.tls import Identity, cert_serial
from tests.ground_station.sharing_support import Recorder, hello, make_centres, node, notice_json, raw_client

pytestmark = pytest.mark.timeout(60)
CZ, PL, GL = "hzs-olomouc", "gmina-nysa", "gmina-glucholazy"


@pytest.fixture
def ids(tmp_path: Path) -> dict[str, Identity]:
    return make_centres(tmp_path, CZ, PL, GL)


@pytest.fixture
async def cz(ids: dict[str, Identity]) -> AsyncIterator[tuple[FederationNode, Recorder]]:
    recorder = Recorder()
    centre = node(CZ, ids, {PL: ids[PL], GL: ids[GL]}, recorder, limits=LinkLimits(max_frame_bytes=4096))
    await centre.start("127.0.0.1", 0)
    yield centre, recorder
    await centre.stop()


def heads(recorder: Recorder) -> list[int]:
    return [frame.seq for _p, frame in recorder.frames if isinstance(frame, wire.ChainHead)]


def send_heads(sender: FederationNode, partner: str, count: int, start: int = 1) -> None:
    for index in range(start, start + count):
        sender.send(
            partner,
            lambda seq, i=index: notice_json(seq, sender.centre).replace(
                f'"row_id": {seq}', f'"row_id": {i}'
            ),
        )


async def test_mutual_tls_delivery_and_resume_without_gap_or_duplicate(cz, ids) -> None:  # type: ignore[no-untyped-def]
    centre, cz_rec = cz
    pl_rec = Recorder()
    pl = node(PL, ids, {CZ: ids[CZ]}, pl_rec, urls={CZ: f"wss://127.0.0.1:{centre.port}"})
    await pl.start()
    try:
        send_heads(centre, PL, 5)
        await pl_rec.until(lambda: len(heads(pl_rec)) == 5)
        # drop the connection from the CZ side while frames keep being produced
        connection = centre.links[PL].connection
        assert connection is not None
        await connection.close(1001, "test drop")
        send_heads(centre, PL, 7, start=6)
        await pl_rec.until(lambda: len(heads(pl_rec)) == 12)
        assert heads(pl_rec) == list(range(1, 13))
        assert pl_rec.ups == [CZ, CZ]
        # after the partner acknowledged everything, the outbox is empty
        await cz_rec.until(lambda: not centre.links[PL].outbox.frames)
    finally:
        await pl.stop()


async def test_wrong_ca_is_refused_and_other_partner_unaffected(cz, ids, tmp_path) -> None:  # type: ignore[no-untyped-def]
    centre, cz_rec = cz
    # a legitimate partner is connected and receiving
    gl_rec = Recorder()
    gl = node(GL, ids, {CZ: ids[CZ]}, gl_rec, urls={CZ: f"wss://127.0.0.1:{centre.port}"})
    await gl.start()
    try:
        await cz_rec.until(lambda: GL in cz_rec.ups)
        # an impostor: a certificate naming PL from a CA nobody imported (trustme)
        rogue_ca = trustme.CA()
        rogue = rogue_ca.issue_cert("127.0.0.1", common_name=PL)
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ids[CZ].ca_file))
        rogue.configure_cert(context)
        from websockets.asyncio.client import connect

        with pytest.raises((ssl.SSLError, ConnectionClosed, OSError, InvalidHandshake)):
            async with connect(f"wss://127.0.0.1:{centre.port}", ssl=context, proxy=None) as ws:
                await ws.send(hello(PL))
                await ws.recv()
                await ws.recv()
        send_heads(centre, GL, 3)
        await gl_rec.until(lambda: len(heads(gl_rec)) == 3)
        assert not any(frame for p, frame in cz_rec.frames if p == PL)
    finally:
        await gl.stop()


async def test_certificate_from_another_partners_ca_is_refused(cz, ids) -> None:  # type: ignore[no-untyped-def]
    """GL's CA is trusted (for GL), but a certificate it mints for PL is not PL."""
    from ground_station.sharing.tls import make_centre_cert, write_identity

    centre, cz_rec = cz
    gl_dir = ids[GL].ca_file.parent
    cert, key = make_centre_cert(
        PL, ids[GL].ca_file.read_bytes(), (gl_dir / "ca-key.pem").read_bytes(), wire_now()
    )
    forged = Identity(gl_dir / "forged.pem", gl_dir / "forged-key.pem", ids[GL].ca_file)
    forged.cert_file.write_bytes(cert)
    forged.key_file.write_bytes(key)
    del write_identity
    ws = await raw_client(centre.port or 0, forged, ids[CZ].ca_file)
    with pytest.raises(ConnectionClosed):
        await ws.send(hello(PL))
        await ws.recv()
        await ws.recv()
    await cz_rec.until(lambda: bool(cz_rec.refusals("certificate")))
    assert "not issued by the CA imported" in cz_rec.refusals("certificate")[0]["why"]


def wire_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_revoked_certificate_is_refused(ids) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    revoked = frozenset({cert_serial(ids[PL].cert_file.read_bytes())})
    centre = node(CZ, ids, {PL: ids[PL]}, recorder, revoked={PL: revoked})
    await centre.start("127.0.0.1", 0)
    try:
        ws = await raw_client(centre.port or 0, ids[PL], ids[CZ].ca_file)
        with pytest.raises(ConnectionClosed):
            await ws.send(hello(PL))
            await ws.recv()
            await ws.recv()
        await recorder.until(lambda: bool(recorder.refusals("certificate")))
        assert "revoked" in recorder.refusals("certificate")[0]["why"]
        assert not recorder.frames
    finally:
        await centre.stop()


async def _session(centre: FederationNode, ids: dict[str, Identity], max_size: int = 1 << 20):  # type: ignore[no-untyped-def]
    ws = await raw_client(centre.port or 0, ids[PL], ids[CZ].ca_file, max_size=max_size)
    await ws.send(hello(PL))
    their_hello = wire.parse(await ws.recv())
    assert isinstance(their_hello, wire.Hello)
    return ws


@pytest.mark.parametrize(
    ("frames", "reason", "accepted"),
    [
        ([notice_json(1, PL), notice_json(1, PL)], "replayed", 1),
        ([notice_json(1, PL), notice_json(3, PL)], "reordered", 1),
        ([notice_json(1, GL)], "forged", 0),
        (['{"kind": "chain_head", "seq": "x"}'], "malformed", 0),
        (["not json at all"], "malformed", 0),
        ([notice_json(1, PL).replace('"row_id"', '"extra": 1, "row_id"')], "malformed", 0),
        ([notice_json(1, PL).replace("ab" * 32, "x" * 5000)], "oversized", 0),
    ],
)
async def test_bad_frames_are_refused_and_audited(cz, ids, frames, reason, accepted) -> None:  # type: ignore[no-untyped-def]
    centre, recorder = cz
    ws = await _session(centre, ids)
    with pytest.raises(ConnectionClosed):
        for text in frames:
            await ws.send(text)
        while True:
            await ws.recv()
    await recorder.until(lambda: bool(recorder.refusals(reason)))
    assert len(heads(recorder)) == accepted


async def test_flooding_partner_is_cut_off_others_unaffected(ids) -> None:  # type: ignore[no-untyped-def]
    ticks = [0.0]
    recorder = Recorder()
    centre = node(
        CZ,
        ids,
        {PL: ids[PL], GL: ids[GL]},
        recorder,
        limits=LinkLimits(rate_per_s=10, burst=20),
        monotonic=lambda: ticks[0],
    )
    await centre.start("127.0.0.1", 0)
    gl_rec = Recorder()
    gl = node(GL, ids, {CZ: ids[CZ]}, gl_rec, urls={CZ: f"wss://127.0.0.1:{centre.port}"})
    await gl.start()
    try:
        await recorder.until(lambda: GL in recorder.ups)
        ws = await _session(centre, ids)
        with pytest.raises(ConnectionClosed):
            for seq in range(1, 200):  # the clock does not move: 20 frames is the whole allowance
                await ws.send(notice_json(seq, PL))
            while True:
                await ws.recv()
        await recorder.until(lambda: bool(recorder.refusals("flood")))
        assert len([f for p, f in recorder.frames if p == PL]) == 20
        send_heads(centre, GL, 4)
        await gl_rec.until(lambda: len(heads(gl_rec)) == 4)
    finally:
        await gl.stop()
        await centre.stop()


async def test_dialling_a_server_with_an_unknown_certificate_is_refused(ids) -> None:  # type: ignore[no-untyped-def]
    from websockets.asyncio.server import serve

    rogue_ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    rogue_ca.issue_cert("127.0.0.1", common_name=PL).configure_cert(context)
    reached: list[str] = []

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        reached.append("connected")

    async with serve(handler, "127.0.0.1", 0, ssl=context) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        recorder = Recorder()
        centre = node(CZ, ids, {PL: ids[PL]}, recorder, urls={PL: f"wss://127.0.0.1:{port}"})
        await centre.start()
        try:
            centre.send(PL, lambda seq: notice_json(seq, CZ))
            await recorder.until(lambda: bool(recorder.refusals("tls")))
            assert "CERTIFICATE_VERIFY_FAILED" in recorder.refusals("tls")[0]["why"]
            assert not reached
        finally:
            await centre.stop()
