"""Canonical topics, byte for byte the Rust guest's (``guest/tests/python_canonical.rs`` checks the same cases)."""

from __future__ import annotations

import json
import unittest
from pathlib import Path
from typing import Optional

from topicwire import BaseModel, ServiceError
from topicwire.canonical import route_of, to_canonical_json
from topicwire.topic import TypedTopic

CASES = json.loads((Path(__file__).parent / "canonical_cases.json").read_text(encoding="utf-8"))


class Nested(BaseModel):
    name: str
    tags: list[str] = []


class Request(BaseModel):
    """The Rust test's model, field for field."""

    symbols: list[str]
    label: str = "all"
    depth: int = 1
    ratio: float = 0.5
    live: bool = False
    nested: Optional[Nested] = None
    flags: dict[str, bool] = {}


class Data(BaseModel):
    n: int


class Topic(TypedTopic[Request, Data]):
    route = "trades"
    request_model = Request
    data_model = Data


class CanonicalTopics(unittest.TestCase):
    def test_every_case_is_the_rust_guests_topic_byte_for_byte(self) -> None:
        self.assertGreaterEqual(len(CASES), 10)
        for case in CASES:
            topic = Topic.new(Request.model_validate_json(case["request"]))
            self.assertEqual(topic.topic.encode(), case["topic"].encode(), case["request"])
            self.assertEqual(Topic.parse(topic.topic).topic, topic.topic, "a topic parses back to itself")

    def test_it_is_the_python_systems_json_dumps(self) -> None:
        value = {"b": [3, 1, {"y": None, "x": "é\U0001f600"}], "a": 1.5}
        self.assertEqual(to_canonical_json(value), json.dumps(value, sort_keys=True, separators=(",", ":")))
        self.assertEqual(to_canonical_json({"s": "\x7f\x00"}), '{"s":"\\u007f\\u0000"}')

    def test_not_json_numbers_are_refused(self) -> None:
        with self.assertRaises(ValueError):
            to_canonical_json({"x": float("nan")})
        request = Request.model_validate({"symbols": [], "ratio": "inf"})
        with self.assertRaises(ServiceError) as refused:
            Topic.new(request)
        self.assertEqual(refused.exception.kind, "invalid-request")

    def test_route_of(self) -> None:
        self.assertEqual(route_of('bars:{"a":1}'), "bars")
        self.assertEqual(route_of("bare"), "bare")


if __name__ == "__main__":
    unittest.main()
