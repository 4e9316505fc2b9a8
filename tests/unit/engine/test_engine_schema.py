"""`ivr flows schema`: every shipped flow validates against it, and it is precise (conditions)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ivr.engine.fields import COMPARE_OPS, NODE_FIELDS
from ivr.engine.schema import OPERATORS, flow_schema
from tests.unit.engine.schemacheck import Checker

ROOT = Path(__file__).resolve().parents[3]
FLOW_FILES = sorted((ROOT / "flows").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "fixtures" / "flows").rglob("*.yaml")
)
CHECK = Checker(flow_schema())


def test_there_are_shipped_flows() -> None:
    names = {p.name for p in FLOW_FILES}
    assert {"hotline.yaml", "emergency.yaml", "consult.yaml"} <= names


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_flow_file_validates_against_the_schema(path: Path) -> None:
    assert CHECK.check(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def branch(when: object) -> dict[str, object]:
    return {
        "flow": "t",
        "languages": ["zh-CN"],
        "start": "b",
        "nodes": {
            "b": {"type": "branch", "cases": [{"when": when, "next": "b"}], "otherwise": "b"}
        },
    }


@pytest.mark.parametrize(
    "when",
    [
        {"var": "tier", "in": ["gold", 3, True]},
        {"attribute": "segment", "exists": True},
        {"var": "n", "ge": 2.5},
        {"all": [{"language": "en"}, {"not": {"market_open": True}}]},
        {"any": [{"business_hours": False}]},
    ],
)
def test_conditions_the_language_defines_are_accepted(when: object) -> None:
    assert CHECK.check(branch(when)) == []


@pytest.mark.parametrize(
    "when",
    [
        {"var": "tier"},  # no operator
        {"var": "tier", "equals": "a", "not_equals": "b"},  # two operators
        {"var": "tier", "equal": "a"},  # unknown operator
        {"var": "n", "gt": "2"},  # gt takes a number
        {"var": "n", "exists": "yes"},  # exists takes a boolean
        {"var": "tier", "in": "gold"},  # in takes a list
        {"var": "x", "attribute": "y", "equals": "z"},  # two subjects
        {"language": "english"},  # not a language tag
        {"market_open": True, "language": "en"},
        {"all": []},
        {"not": {"var": "x"}},
        {"weekday": "mon"},
    ],
)
def test_conditions_outside_the_language_are_refused(when: object) -> None:
    errors = CHECK.check(branch(when))
    assert errors, when
    assert all(e.startswith("$.nodes.b") for e in errors)


def test_node_rules_and_name_patterns() -> None:
    flow = branch({"language": "en"})
    flow["nodes"] = {
        "g": {"type": "goto"},
        "q": {"type": "queue", "queue": "general", "overflow_after_s": 30},
        "bad-id": {"type": "hangup"},
        "c": {"type": "collect", "prompt": {"zh-CN": "a"}, "var": "p", "next": "g",
              "decimal_key": "."},
    }  # fmt: skip
    assert CHECK.check(flow) == [
        "$.nodes.bad-id (name): 'bad-id' does not match ^[A-Za-z_][A-Za-z0-9_]*$",
        "$.nodes.g: matches 0 of oneOf (needs exactly 1)",
        "$.nodes.q: matches 0 of oneOf (needs exactly 1)",
        "$.nodes.c: matches 0 of oneOf (needs exactly 1)",
    ]
    flow["nodes"] = {
        "g": {"type": "goto", "flow": "other"},
        "q": {"type": "queue", "queue": "general", "overflow_after_s": 30, "overflow_queue": "vip"},
        "c": {"type": "collect", "prompt": {"zh-CN": "a"}, "var": "p", "next": "g",
              "decimal_key": "*"},
    }  # fmt: skip
    assert CHECK.check(flow) == []


def test_schema_covers_every_operator_and_node_type() -> None:
    schema = flow_schema()
    assert set(OPERATORS) == set(COMPARE_OPS)
    assert [r["$ref"] for r in schema["$defs"]["node"]["oneOf"]] == [
        f"#/$defs/node_{t}" for t in NODE_FIELDS
    ]
    assert schema["$defs"]["node_collect"]["properties"]["decimal_key"] == {"enum": ["*", "#"]}
