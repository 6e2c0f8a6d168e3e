"""Meeting UUIDs in paths: a UUID that begins with "/" or contains "//" must be double-encoded; a
single-encoded one fails with 404/3001 as on Zoom. A numeric id means the latest instance."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi, encode_uuid, zoom_api, zoom_emulator

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["zoom_api", "zoom_emulator"]


def instance_with(emu: ZoomEmulator, predicate):
    return next(i for i in emu.state.data.instances.values() if predicate(i.uuid) and not i.parent.is_webinar)


def test_encode_uuid_examples_from_zoom_docs() -> None:
    assert encode_uuid("aDYlohsHRtCd4ii1uC2+hA==") == "aDYlohsHRtCd4ii1uC2%2BhA%3D%3D"
    assert encode_uuid("/ajXp112QmuoKj4854875==") == "%252FajXp112QmuoKj4854875%253D%253D"
    assert encode_uuid("ab//cd==") == "ab%252F%252Fcd%253D%253D"


@pytest.mark.parametrize("kind", ["leading_slash", "double_slash"])
def test_double_encoded_works_single_encoded_is_404_3001(
    zoom_api: ZoomApi, zoom_emulator: ZoomEmulator, kind: str
) -> None:
    pred = (lambda u: u.startswith("/")) if kind == "leading_slash" else (lambda u: "//" in u)
    inst = instance_with(zoom_emulator, pred)
    double, single = encode_uuid(inst.uuid), quote(inst.uuid, safe="")
    assert double != single
    ok = zoom_api.json(f"/past_meetings/{double}")
    assert ok["uuid"] == inst.uuid
    for path in ("/past_meetings/{}", "/past_meetings/{}/participants", "/report/meetings/{}"):
        bad = zoom_api.get(path.format(single))
        assert bad.status_code == 404 and bad.json()["code"] == 3001, path
        assert zoom_api.get(path.format(double)).status_code == 200


def test_plus_and_equals_single_encoded(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    inst = instance_with(zoom_emulator, lambda u: "+" in u and not u.startswith("/") and "//" not in u)
    assert zoom_api.json(f"/past_meetings/{quote(inst.uuid, safe='')}")["uuid"] == inst.uuid
    if inst.recording:
        assert zoom_api.json(f"/meetings/{encode_uuid(inst.uuid)}/recordings")["uuid"] == inst.uuid


def test_numeric_id_means_latest_instance(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    m = next(m for m in zoom_emulator.state.data.meetings if m.kind == "recurring")
    latest = m.latest_instance()
    assert zoom_api.json(f"/past_meetings/{m.id}")["uuid"] == latest.uuid
    assert zoom_api.get("/past_meetings/12345678901").json()["code"] == 3001
