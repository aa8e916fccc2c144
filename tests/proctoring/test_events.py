from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from proctoring.events import (
    EventChain,
    EventType,
    ProctorEvent,
    canonical_json,
    episodes,
    genesis_hash,
    parse_timestamp,
    snapshot_descriptor,
    verify_chain,
)

START = datetime(2026, 12, 3, 17, 0, 0, tzinfo=UTC)


def chain_of(n: int = 6, session: str = "s1") -> list[ProctorEvent]:
    chain = EventChain(session, START)
    return [chain.append("paste_detected", "low", i * 1.5, {"chars": i}) for i in range(n)]


def test_chain_assigns_seq_prev_hash_and_wire_form():
    events = chain_of(3)
    assert [e.seq for e in events] == [0, 1, 2]
    assert events[0].prev_hash == genesis_hash("s1")
    assert events[1].prev_hash == events[0].hash
    wire = events[1].to_dict()
    assert set(wire) == {
        "type",
        "severity",
        "timestamp",
        "offset",
        "data",
        "seq",
        "prevHash",
        "hash",
    }
    assert wire["timestamp"] == "2026-12-03T17:00:01.500Z"
    assert parse_timestamp(wire["timestamp"]) == datetime(2026, 12, 3, 17, 0, 1, 500000, tzinfo=UTC)
    assert ProctorEvent.from_dict(json.loads(json.dumps(wire))) == events[1]
    assert verify_chain(events, session_id="s1") == []


def test_offsets_never_go_backwards():
    chain = EventChain("s", START)
    chain.append("a", "info", 5.0)
    late = chain.append("b", "info", 4.2)
    assert late.offset == 5.0


def test_canonical_json_is_sorted_and_compact():
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError, match="bytes is not JSON serializable"):
        canonical_json({"x": b"raw"})


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        'façade "quoted"\n\t\u0001 ✓ 𝔘',
        {"z": {"b": [1, 2.5, None, False, True], "a": "ünïcödé"}, "A": -7, "": ""},
        {"big": 2**70, "small": 1e-7, "huge": 1e16, "negative zero": -0.0, "inf-ish": 1.7e308},
        {"type": EventType.PASTE, "tuple": (1, "two"), "nested": [[[{}]]]},
        3.25,
        None,
    ],
)
def test_canonical_json_is_what_json_dumps_makes_with_the_canonical_options(value):
    """The hash's bytes are defined by the standard library's encoder: clients in any language
    reproduce them from this definition."""
    definition = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    assert canonical_json(value) == definition


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {
            "type": 'façade "quoted"\n\t\u0001',
            "severity": "high",
            "timestamp": "2026-12-03T17:00:05+05:30",
        },
        {"offset": 1e16, "seq": 2**40},
        {"offset": 1e-7, "seq": 0},
        {"offset": -0.0},
        {"offset": 3},  # an int, as a hand-made event may carry
        {"offset": True},
        {"type": EventType.PASTE},  # a str subclass
        {"data": {"z": {"b": [1, 2.5, None, False], "a": "ünïcödé ✓ 𝔘"}, "A": -7, "": ""}},
        {"prev_hash": "é" * 64},
    ],
)
def test_hash_is_sha256_of_the_canonical_json_of_the_hashed_fields(fields):
    """`compute_hash` writes the canonical JSON out field by field: byte for byte the
    definition's, for every kind of value a field can hold."""
    event = replace(chain_of(2)[1], **fields)
    definition = hashlib.sha256(canonical_json(event.hashed_fields()).encode()).hexdigest()
    assert event.compute_hash() == definition
    assert event.compute_hash(canonical_json(dict(event.data))) == definition


def test_a_hash_over_nan_is_refused_like_the_canonical_json():
    with pytest.raises(ValueError):
        replace(chain_of(1)[0], offset=float("nan")).compute_hash()


def test_removed_event_is_a_gap():
    events = chain_of()
    del events[2]
    breaks = verify_chain(events)
    assert [(b.seq, b.kind) for b in breaks] == [(3, "gap")]
    assert "2 missing" in breaks[0].detail


def test_removed_first_event_is_a_gap():
    assert [(b.seq, b.kind) for b in verify_chain(chain_of()[1:])] == [(1, "gap")]


def test_altered_event_is_detected():
    events = chain_of()
    events[3] = replace(events[3], data={"chars": 99999})
    assert [(b.seq, b.kind) for b in verify_chain(events)] == [(3, "altered")]


def test_replaced_event_with_recomputed_hash_breaks_the_next_link():
    events = chain_of()
    forged = replace(events[3], severity="info")
    events[3] = replace(forged, hash=forged.compute_hash())
    assert [(b.seq, b.kind) for b in verify_chain(events)] == [(4, "altered")]


def test_reordered_delivery_is_detected():
    events = chain_of()
    events[2], events[3] = events[3], events[2]
    assert [(b.seq, b.kind) for b in verify_chain(events)] == [(2, "reordered")]


def test_swapped_contents_relinked_are_reordered():
    # Swap two events' positions and renumber them, keeping their original prevHash links.
    events = chain_of()
    a, b = events[2], events[3]
    moved_b = replace(b, seq=2)
    moved_a = replace(a, seq=3)
    events[2] = replace(moved_b, hash=moved_b.compute_hash())
    events[3] = replace(moved_a, hash=moved_a.compute_hash())
    kinds = {(x.seq, x.kind) for x in verify_chain(events)}
    assert (2, "reordered") in kinds or (3, "reordered") in kinds


def test_duplicate_and_wrong_session():
    events = chain_of()
    first = verify_chain([*events, events[4]])[0]
    assert (first.seq, first.kind) == (4, "reordered")
    assert any(b.kind == "duplicate" for b in verify_chain([*events, events[4]]))
    assert [b.kind for b in verify_chain(events, session_id="other")] == ["bad_genesis"]


def test_snapshot_bytes_are_pinned_by_the_hash():
    chain = EventChain("s", START)
    jpeg = b"\xff\xd8fake-jpeg\xff\xd9"
    event = chain.append(
        "face_not_detected",
        "medium",
        1.0,
        {"snapshot": snapshot_descriptor(jpeg, 320, 240)},
        snapshot=jpeg,
    )
    assert verify_chain([event]) == []
    assert "snapshotJpeg" not in event.to_dict()
    assert ProctorEvent.from_dict(event.to_dict(include_snapshot=True)).snapshot == jpeg
    swapped = replace(event, snapshot=b"other")
    assert [b.kind for b in verify_chain([swapped])] == ["snapshot_altered"]


def test_from_dict_rejects_bad_input():
    wire = chain_of(1)[0].to_dict()
    with pytest.raises(ValueError, match="severity"):
        ProctorEvent.from_dict({**wire, "severity": "warning"})
    with pytest.raises(ValueError, match="mistyped"):
        ProctorEvent.from_dict({**wire, "offset": None})
    del wire["seq"]
    with pytest.raises(ValueError, match="seq"):
        ProctorEvent.from_dict(wire)


def test_episode_wire_form_for_a_timeline():
    chain = EventChain("s", START)
    s = chain.append(
        "face_not_detected",
        "medium",
        7.0,
        {"phase": "start", "startOffset": 4.0, "duration": 3000, "faceCount": 0},
    )
    p = chain.append("paste_detected", "low", 8.0, {"chars": 10})
    e = chain.append(
        "face_not_detected", "info", 10.0, {"phase": "end", "startSeq": s.seq, "duration": 5000}
    )
    o = chain.append(
        "looking_away", "medium", 12.0, {"phase": "start", "startOffset": 11.0, "duration": 1000}
    )
    found = episodes([s, p, e, o], until=15.0)
    assert [(x.type, x.start, x.duration_ms, x.ongoing) for x in found] == [
        ("face_not_detected", 4.0, 5000, False),
        ("paste_detected", 8.0, 0, False),
        ("looking_away", 11.0, 4000, True),
    ]
    wire = found[0].to_dict()
    assert wire["offset"] == 4.0 and wire["duration"] == 5000 and wire["end"] == 9.0
    assert wire["data"] == {"faceCount": 0}


def test_pure_modules_load_without_capture_libraries():
    """What the server imports: events and risk must not pull numpy, OpenCV or mediapipe."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, proctoring.events, proctoring.risk; "
        "bad = {'numpy', 'cv2', 'mediapipe', 'psutil'} & set(sys.modules); "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)
