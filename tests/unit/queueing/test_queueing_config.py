"""Queue definitions loader: the shipped file loads; bad files give exact path:line:col errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from queueing.config import (
    AddQueue,
    AddSkills,
    ExitOption,
    OfferExit,
    OverflowStep,
    PriorityClass,
    RelaxSkills,
    ServiceLevel,
    Strategy,
    load_queues,
    parse_queues,
)
from queueing.errors import QueueConfigErrors, QueueingError


def errors_of(text: str) -> list[str]:
    with pytest.raises(QueueConfigErrors) as caught:
        parse_queues(text, "q.yaml")
    return str(caught.value).splitlines()


def test_shipped_file_defines_the_hotline_queues(project_root: Path) -> None:
    config = load_queues(project_root / "config" / "queues.yaml")
    assert list(config.queues) == [
        "general",
        "vip",
        "account_services",
        "trading_support",
        "trading_desk",
        "complaints",
        "english",
    ]
    assert dict(config.queues["general"].skills) == {"mandarin": 1, "general": 1}
    assert dict(config.queues["english"].skills) == {"english": 1}
    desk = config.queues["trading_desk"]
    assert dict(desk.skills) == {"emergency_order": 3}
    assert desk.service_level == ServiceLevel(percent=90.0, within_s=10.0)
    assert desk.overflow[0] == OverflowStep(10.0, AddSkills({"licensed": 1}))
    assert config.routing.class_points[PriorityClass.VIP] == 120.0


def test_defaults_fill_fields_a_queue_leaves_out() -> None:
    config = parse_queues(
        "defaults: {ring_timeout_s: 12, strategy: round_robin}\n"
        "queues:\n"
        "  a: {skills: {general: 2}, strategy: fewest_calls}\n"
    )
    queue = config.queues["a"]
    assert (queue.ring_timeout_s, queue.strategy) == (12.0, Strategy.FEWEST_CALLS)
    assert (queue.wrap_up_s, queue.max_wait_s) == (30.0, 600.0)


def test_every_overflow_action_parses() -> None:
    config = parse_queues(
        "queues:\n"
        "  a:\n"
        "    skills: {general: 3}\n"
        "    overflow:\n"
        "      - {after_s: 10, relax: {general: 1}}\n"
        "      - {after_s: 20, queue: b}\n"
        "      - {after_s: 30, skills: {licensed: 1}}\n"
        "      - {after_s: 40, offer: [voice_message]}\n"
        "  b: {skills: {english: 1}}\n"
    )
    actions = [step.action for step in config.queues["a"].overflow]
    assert actions == [
        RelaxSkills({"general": 1}),
        AddQueue("b"),
        AddSkills({"licensed": 1}),
        OfferExit((ExitOption.VOICE_MESSAGE,)),
    ]


def test_misspellings_are_reported_together_with_did_you_mean() -> None:
    assert errors_of(
        "queues:\n"
        "  general:\n"
        "    skills: {mandrin: 1, general: 7}\n"
        "    strategy: longest_idel\n"
        "    ring_timeout: 5\n"
        "  trading_desk:\n"
        "    skills: {emergency_order: 3}\n"
        "    overflow:\n"
        "      - {after_s: 10, skills: {licenced: 1}}\n"
        "      - {after_s: 20, queue: generl}\n"
        "      - {after_s: 60, offer: [calback]}\n"
    ) == [
        "q.yaml:3:14: queue 'general': skills: unknown skill 'mandrin' (did you mean 'mandarin'?)",
        "q.yaml:3:35: queue 'general': skills: level of 'general' must be an integer 1-5, got '7'",
        "q.yaml:4:15: queue 'general': unknown strategy 'longest_idel'"
        " (did you mean 'longest_idle'?)",
        "q.yaml:5:5: queue 'general': unknown key 'ring_timeout' (did you mean 'ring_timeout_s'?)",
        "q.yaml:9:32: queue 'trading_desk': overflow step 1: skills: unknown skill 'licenced'"
        " (did you mean 'licensed'?)",
        "q.yaml:10:30: queue 'trading_desk': overflow step 2: unknown queue 'generl'"
        " (did you mean 'general'?)",
        "q.yaml:11:31: queue 'trading_desk': overflow step 3: unknown offer 'calback'"
        " (did you mean 'callback'?)",
    ]


def test_shape_errors() -> None:
    assert errors_of(
        "routing: {aging_weight: 0, classes: {vip: 1, normal: 5}, max_unanswered_offers: x}\n"
        "queues:\n"
        "  a:\n"
        "    service_level: {percent: 120}\n"
        "    max_wait_s: -1\n"
        "    announcements: {position: maybe, music_on_hold: ''}\n"
        "    overflow:\n"
        "      - {after_s: 30, offer: [callback]}\n"
        "      - {after_s: 20, offer: []}\n"
        "      - {after_s: 40, relax: {general: 1}, queue: b}\n"
        "      - {after_s: 50, queue: a}\n"
        "  b: {skills: [general]}\n"
        "  c: {skills: {}, overflow: {after_s: 1}}\n"
    ) == [
        "q.yaml:1:25: routing.aging_weight must be a number > 0, got '0'",
        "q.yaml:1:37: routing.classes: 'vip' must have more points than 'normal'",
        "q.yaml:1:81: routing.max_unanswered_offers must be an integer >= 1, got 'x'",
        "q.yaml:4:5: queue 'a': missing 'skills' (skill -> minimum level 1-5)",
        "q.yaml:4:20: queue 'a': service_level needs 'percent' and 'within_s'",
        "q.yaml:5:17: queue 'a': max_wait_s must be a number of seconds > 0, got '-1'",
        "q.yaml:6:31: queue 'a': announcements.position must be true or false, got 'maybe'",
        "q.yaml:6:53: queue 'a': announcements.music_on_hold must be a non-empty name, got ''",
        "q.yaml:9:30: queue 'a': overflow step 2: offer must be a non-empty list"
        " (callback, voice_message)",
        "q.yaml:10:9: queue 'a': overflow step 3: needs 'after_s' and exactly one of:"
        " relax, queue, skills, offer",
        "q.yaml:11:30: queue 'a': overflow step 4: queue 'a' cannot overflow to itself",
        "q.yaml:12:15: queue 'b': skills must be a mapping",
        "q.yaml:13:15: queue 'c': skills must name at least one skill",
        "q.yaml:13:29: queue 'c': overflow must be a list of steps",
    ]


def test_steps_must_grow_and_names_must_be_unique() -> None:
    assert errors_of(
        "queues:\n"
        "  a:\n"
        "    skills: {general: 1}\n"
        "    overflow:\n"
        "      - {after_s: 30, offer: [callback]}\n"
        "      - {after_s: 20, relax: {general: 1}}\n"
        "  a: {skills: {english: 1}}\n"
        "sklls: []\n"
    ) == [
        "q.yaml:6:9: queue 'a': overflow step 2: after_s must be greater than"
        " the previous step's (30)",
        "q.yaml:7:3: queues: duplicate key 'a'",
        "q.yaml:8:1: queue definitions: unknown key 'sklls' (did you mean 'skills'?)",
    ]


def test_custom_skill_list_and_unknown_skill() -> None:
    config = parse_queues("skills: [cantonese]\nqueues: {hk: {skills: {cantonese: 2}}}\n")
    assert config.skills == frozenset({"cantonese"})
    assert errors_of("skills: [cantonese]\nqueues: {hk: {skills: {mandarin: 2}}}\n") == [
        "q.yaml:2:24: queue 'hk': skills: unknown skill 'mandarin'",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "q.yaml:1:1: empty file: expected a 'queues:' mapping"),
        (
            "queues: [\n",
            "q.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'",
        ),
        ("skills: {}\n", "q.yaml:1:1: missing 'queues:' (a mapping of queue name -> definition)"),
        ("queues: {}\n", "q.yaml:1:9: queues must define at least one queue"),
        ("- a\n", "q.yaml:1:1: queue definitions must be a mapping"),
    ],
)
def test_whole_file_errors(text: str, expected: str) -> None:
    assert errors_of(text)[0] == expected


def test_unreadable_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(QueueingError) as caught:
        load_queues(tmp_path / "missing.yaml")
    assert (
        str(caught.value)
        == f"{tmp_path / 'missing.yaml'}:1:1: cannot read file: No such file or directory"
    )


def test_partial_routing_sections_keep_defaults() -> None:
    queues = "queues: {a: {skills: {general: 1}}}\n"
    points = parse_queues("routing: {classes: {vip: 50}}\n" + queues).routing
    assert (points.aging_weight, points.max_unanswered_offers) == (1.0, 3)
    assert dict(points.class_points) == {PriorityClass.VIP: 50.0, PriorityClass.NORMAL: 0.0}
    weight = parse_queues("routing: {aging_weight: 2}\n" + queues).routing
    assert (weight.aging_weight, weight.class_points[PriorityClass.VIP]) == (2.0, 120.0)


def test_announcements_accept_no_periodic_message() -> None:
    config = parse_queues(
        "queues: {a: {skills: {general: 1},"
        " announcements: {periodic_message: ~, periodic_every_s: 20}}}"
    )
    assert config.queues["a"].announcements.periodic_message is None
    assert config.queues["a"].announcements.periodic_every_s == 20.0


def test_odd_scalars_and_shapes() -> None:
    assert errors_of(
        "routing: {classes: {vip: -1}}\n"
        "queues:\n"
        "  a: 5\n"
        "  b:\n"
        "    skills: {general: 1}\n"
        "    service_level: 5\n"
        "    max_wait_s: 012\n"
        "    ring_timeout_s: .inf\n"
        "    wrap_up_s: [1]\n"
        "    overflow: [5, {after_s: 1, queue: [x]}]\n"
        "  c:\n"
        "    skills: {general: 1}\n"
        "    service_level: {percent: 0, within_s: 20}\n"
    ) == [
        "q.yaml:1:26: routing.classes.vip must be a number >= 0, got '-1'",
        "q.yaml:3:6: queue 'a' must be a mapping",
        "q.yaml:6:20: queue 'b': service_level must be a mapping",
        "q.yaml:7:17: queue 'b': max_wait_s must be a number of seconds > 0, got '012'",
        "q.yaml:8:21: queue 'b': ring_timeout_s must be a number of seconds > 0, got '.inf'",
        "q.yaml:9:16: queue 'b': wrap_up_s must be a number of seconds > 0, got a list or mapping",
        "q.yaml:10:16: queue 'b': overflow step 1 must be a mapping",
        "q.yaml:10:39: queue 'b': overflow step 2: queue must be a non-empty name,"
        " got a list or mapping",
        "q.yaml:13:30: queue 'c': service_level.percent must be a number 0-100, got '0'",
    ]


def test_survey_is_opt_in_per_queue_and_must_be_true_or_false() -> None:
    config = parse_queues(
        "queues:\n  general: {skills: {general: 1}, survey: true}\n  vip: {skills: {vip: 1}}\n",
        "q.yaml",
    )
    assert (config.queues["general"].survey, config.queues["vip"].survey) == (True, False)
    assert errors_of("queues:\n  general:\n    skills: {general: 1}\n    survey: sometimes\n") == [
        "q.yaml:4:13: queue 'general': survey must be true or false, got 'sometimes'"
    ]
    assert errors_of("queues:\n  general:\n    skills: {general: 1}\n    surveys: true\n") == [
        "q.yaml:4:5: queue 'general': unknown key 'surveys' (did you mean 'survey'?)"
    ]
