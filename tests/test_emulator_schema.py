"""Every emulated /v2 endpoint answers JSON that validates against the 200 response schema of the same
path in Zoom's own OpenAPI documents (tests/openapi/)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

from emulators.zoom import ZoomEmulator
from emulators.zoom.app import ROUTER
from emulators.zoom.fixtures import ZoomApi, encode_uuid

SPECS = Path(__file__).parent / "openapi"
# The specs lag reality in two enums; Zoom's webhook spec and file-type notes document both values.
EXTRA_ENUM_VALUES = {"completed": "processing", "MP4": "TIMELINE", "JSON": "JSON"}


def spec_file(template: str) -> str:
    if template.startswith("/chat/"):
        return "team-chat.endpoints.json"
    if template in ("/users", "/users/{userId}"):
        return "users.endpoints.json"
    return "meetings.endpoints.json"


def _relax(node: object) -> object:
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            for marker, extra in EXTRA_ENUM_VALUES.items():
                if marker in node["enum"] and extra not in node["enum"]:
                    node["enum"].append(extra)
        for value in node.values():
            _relax(value)
    elif isinstance(node, list):
        for value in node:
            _relax(value)
    return node


@cache
def load_spec(name: str) -> dict:
    return json.loads((SPECS / name).read_text(encoding="utf-8"))


@cache
def validator(template: str) -> OAS30Validator:
    spec = load_spec(spec_file(template))
    op = spec["paths"][template]["get"]
    schema = copy.deepcopy(op["responses"]["200"]["content"]["application/json"]["schema"])
    schema = _relax(schema)
    # the specs use no $ref today; keep components resolvable in case a re-sync adds some
    schema["components"] = spec.get("components", {})
    return OAS30Validator(schema, format_checker=FormatChecker(formats=["date-time", "date"]))


@pytest.fixture(scope="module")
def emu():
    with ZoomEmulator(rate_limits=False) as e:
        yield e


def concrete_paths(emu: ZoomEmulator) -> dict[str, list[str]]:
    """Every route template with concrete paths covering all users, meetings, instances and channels."""
    ds = emu.state.data
    paths: dict[str, list[str]] = {
        r.template: [] for r in ROUTER.routes if not r.template.startswith("/phone/")
    }

    def add(template: str, **params: object) -> None:
        path = template
        for name, value in params.items():
            path = path.replace("{" + name + "}", str(value))
        paths[template].append(path)

    today = ds.now.date()
    add("/users")
    add("/report/daily")
    for u in ds.users:
        add("/users/{userId}", userId=u.id or u.email)
        if u.status != "active":
            continue
        for t in (
            "/users/{userId}/meetings",
            "/users/{userId}/webinars",
            "/users/{userId}/recordings",
            "/chat/users/{userId}/channels",
        ):
            add(t, userId=u.id)
        paths["/users/{userId}/recordings"].append(
            f"/users/{u.id}/recordings?from={today.replace(day=1)}&to={today}"
        )
        paths["/report/users/{userId}/meetings"].append(
            f"/report/users/{u.id}/meetings?from={today.replace(day=1)}&to={today}"
        )
        for ch in ds.channels:
            add("/chat/users/{userId}/channels/{channelId}/members", userId=u.id, channelId=ch.id)
    for ch in ds.channels:
        add("/chat/channels/{channelId}/members", channelId=ch.id)
    for m in ds.meetings:
        if m.is_webinar:
            for t in (
                "/webinars/{webinarId}",
                "/webinars/{webinarId}/registrants",
                "/webinars/{webinarId}/panelists",
                "/webinars/{webinarId}/polls",
                "/webinars/{webinarId}/tracking_sources",
                "/past_webinars/{webinarId}/instances",
            ):
                add(t, webinarId=m.id)
            for inst in m.instances:
                for t in (
                    "/past_webinars/{webinarId}/absentees",
                    "/past_webinars/{webinarId}/participants",
                    "/past_webinars/{webinarId}/polls",
                    "/report/webinars/{webinarId}",
                    "/report/webinars/{webinarId}/participants",
                ):
                    add(t, webinarId=encode_uuid(inst.uuid))
            continue
        add("/past_meetings/{meetingId}/instances", meetingId=m.id)
        if m.kind != "instant":
            for t in (
                "/meetings/{meetingId}",
                "/meetings/{meetingId}/registrants",
                "/meetings/{meetingId}/polls",
            ):
                add(t, meetingId=m.id)
        for inst in m.instances:
            enc = encode_uuid(inst.uuid)
            for t in (
                "/past_meetings/{meetingId}",
                "/past_meetings/{meetingId}/participants",
                "/past_meetings/{meetingId}/polls",
                "/past_meetings/{meetingId}/qa",
                "/report/meetings/{meetingId}",
                "/report/meetings/{meetingId}/participants",
            ):
                add(t, meetingId=enc)
            if inst.recording:
                add("/meetings/{meetingId}/recordings", meetingId=enc)
                paths["/meetings/{meetingId}/recordings"].append(
                    f"/meetings/{enc}/recordings?include_fields=download_access_token&ttl=600"
                )
                if inst.recording.has_transcript or inst.recording.processing:
                    add("/meetings/{meetingId}/transcript", meetingId=enc)
    return paths


def test_every_endpoint_validates_against_zoom_openapi(emu: ZoomEmulator) -> None:
    api = ZoomApi(emu)
    checked: dict[str, int] = {}
    for template, paths in concrete_paths(emu).items():
        v = validator(template)
        for path in paths:
            resp = api.session.get(emu.api_base + path, timeout=30)
            assert resp.status_code == 200, (path, resp.text)
            errors = sorted(v.iter_errors(resp.json()), key=str)
            assert not errors, f"{path}: {errors[0].message} at {list(errors[0].absolute_path)}"
            checked[template] = checked.get(template, 0) + 1
    # every served route was exercised at least once (Zoom Phone's: tests/test_emulator_phone.py)
    assert set(checked) == {r.template for r in ROUTER.routes if not r.template.startswith("/phone/")}


def test_validator_rejects_a_wrong_type() -> None:
    """Guard: the schemas really constrain (a recordings `type` must be a string, ids int64)."""
    v = validator("/users/{userId}/recordings")
    assert not v.is_valid({"meetings": [{"type": 8}]})
    assert v.is_valid({"meetings": [{"type": "8"}]})
    assert not validator("/past_meetings/{meetingId}").is_valid({"id": "81905510347"})
