from __future__ import annotations

import math
from datetime import UTC, datetime

from proctoring.events import EventChain, ProctorEvent
from proctoring.risk import RiskWeights, assess, level_of

START = datetime(2026, 12, 3, tzinfo=UTC)


def episode(
    chain: EventChain, type_: str, severity, began: float, seconds: float
) -> list[ProctorEvent]:
    start = chain.append(
        type_, severity, began, {"phase": "start", "startOffset": began, "duration": 0}
    )
    end = chain.append(
        type_,
        "info",
        began + seconds,
        {"phase": "end", "startSeq": start.seq, "duration": round(seconds * 1000)},
    )
    return [start, end]


def test_clean_session_is_zero_and_low():
    chain = EventChain("s", START)
    events = [
        chain.append("session_started", "info", 0.0),
        chain.append("virtual_machine_detected", "info", 1.0),
    ]
    result = assess(events)
    assert result.score == 0.0 and result.level == "low" and result.contributions == ()


def test_weighted_model_is_explained():
    chain = EventChain("s", START)
    events = episode(chain, "face_not_detected", "medium", 10.0, 30.0)  # factor 2
    events.append(chain.append("paste_detected", "low", 50.0, {"chars": 20}))
    result = assess(events)
    w = RiskWeights()
    face = w.type_weights["face_not_detected"] * 1.0 * 2.0
    paste = w.type_weights["paste_detected"] * 0.5
    assert math.isclose(result.total_points, face + paste)
    assert math.isclose(result.score, 1 - math.exp(-(face + paste)))
    assert [c.type for c in result.contributions] == ["face_not_detected", "paste_detected"]
    assert result.contributions[0].duration_factor == 2.0
    assert "face_not_detected" in result.explain()
    assert result.to_dict()["riskLevel"] == result.level


def test_duration_saturates_and_score_stays_below_one():
    chain = EventChain("s", START)
    long = assess(episode(chain, "face_not_detected", "medium", 0, 3600))
    assert long.contributions[0].duration_factor == 1 + RiskWeights().duration_cap
    many = EventChain("m", START)
    events = [
        e for i in range(200) for e in episode(many, "multiple_faces_detected", "high", i * 10, 5)
    ]
    result = assess(events)
    assert 0.99 < result.score <= 1.0 and result.level == "high"


def test_weights_are_configuration():
    chain = EventChain("s", START)
    events = episode(chain, "looking_away", "medium", 0, 5)
    ignore = RiskWeights(type_weights={"looking_away": 0.0})
    assert assess(events, ignore).score == 0.0
    unknown = [EventChain("u", START).append("new_kind_from_newer_client", "high", 1.0)]
    assert assess(unknown).contributions[0].type_weight == RiskWeights().default_type_weight


def test_open_episode_counts_until_given_end():
    chain = EventChain("s", START)
    start = chain.append(
        "focus_lost", "medium", 0.0, {"phase": "start", "startOffset": 0.0, "duration": 0}
    )
    assert assess([start], until=60.0).contributions[0].duration_ms == 60000


def test_levels():
    assert level_of(0.1) == "low" and level_of(0.3) == "medium" and level_of(0.6) == "high"


def test_server_recomputes_from_the_wire():
    chain = EventChain("s", START)
    events = episode(chain, "multiple_faces_detected", "high", 5, 10)
    wire = [e.to_dict() for e in events]
    again = assess([ProctorEvent.from_dict(w) for w in wire])
    assert again == assess(events)


def test_a_one_off_report_that_says_how_long_counts_like_an_episode():
    # the spec's event: {"type": "tab_switch", "data": {"duration": 10000, ...}}
    reported = EventChain("r", START)
    switched = reported.append(
        "tab_switch", "medium", 5.0, {"toTab": "google.com", "duration": 10000}
    )
    paired = episode(EventChain("p", START), "tab_switch", "medium", 5.0, 10.0)
    one_off, pair = assess([switched]).contributions[0], assess(paired).contributions[0]
    assert one_off.duration_ms == pair.duration_ms == 10000
    assert one_off.duration_factor == pair.duration_factor > 1.0


def test_event_data_that_is_not_numbers_is_read_as_absent():
    chain = EventChain("x", START)
    events = [
        chain.append("tab_switch", "medium", 1.0, {"duration": "ten seconds"}),
        chain.append("focus_lost", "medium", 2.0, {"phase": "start", "startOffset": "soon"}),
        chain.append("looking_away", "low", 3.0, {"duration": True}),
        chain.append("paste_detected", "low", 4.0, {"duration": {"ms": 5}}),
    ]
    result = assess(events, until=12.0)
    durations = {c.type: c.duration_ms for c in result.contributions}
    assert durations == {
        "tab_switch": 0,
        "focus_lost": 10000,  # from its own offset, since startOffset says nothing
        "looking_away": 0,
        "paste_detected": 0,
    }
