"""A route's declared history: the host's bounds and defaults, checked where the route is built.

The host refuses to load a component whose route keeps more than 10000
updates, or keeps them more than 3600 s, or keeps some for no time (or none
for some time); the SDK says so when the component is built, naming the
route, and passes an accepted history on to the world's ``routes``.
"""

from __future__ import annotations

import unittest

from topicwire import BaseModel
from topicwire.module import Module, Route
from topicwire.router import History, check_history
from topicwire.topic import TypedTopic


class Req(BaseModel):
    stream: str


class Data(BaseModel):
    seq: int


class RecentTopic(TypedTopic[Req, Data]):
    __slots__ = ()
    route = "recent"
    request_model = Req
    data_model = Data


class Svc:
    def create_recent(self, topic: RecentTopic) -> None:
        pass


class Histories(unittest.TestCase):
    def test_what_a_declaration_keeps(self) -> None:
        self.assertIsNone(check_history(None, None), "undeclared: the delivery's default")
        self.assertEqual(check_history(3, 60), History(3, 60))
        self.assertEqual(check_history(1000, None), History(1000, 300), "a size alone keeps it 300 s")
        self.assertEqual(check_history(None, 30), History(1000, 30), "a ttl alone keeps 1000")
        self.assertEqual(check_history(0, None), History(0, 0), "0 alone keeps none")
        self.assertEqual(check_history(0, 0), History(0, 0))
        self.assertEqual(check_history(10_000, 3_600), History(10_000, 3_600), "the bounds themselves")

    def test_what_the_host_would_refuse(self) -> None:
        refused = {
            (10_001, 60): "`history=10001` is out of bounds: at most 10000",
            (10, 3_601): "`history_ttl_secs=3601` is out of bounds: at most 3600",
            (0, 60): "`history=0` with `history_ttl_secs=60` keeps nothing",
            (5, 0): "`history=5` with `history_ttl_secs=0` keeps nothing",
            (None, 0): "`history=1000` with `history_ttl_secs=0` keeps nothing",
            (-1, None): "`history` must be a whole number from 0 to 10000, found -1",
            ("3", None): "`history` must be a whole number from 0 to 10000, found '3'",
            (True, None): "`history` must be a whole number from 0 to 10000, found True",
        }
        for (size, ttl), message in refused.items():
            with self.subTest(size=size, ttl=ttl), self.assertRaises(ValueError) as refusal:
                check_history(size, ttl)  # type: ignore[arg-type]
            self.assertIn(message, str(refusal.exception))

    def test_a_route_passes_its_history_to_the_world_or_names_itself_when_refused(self) -> None:
        declared = Route("recent", description="", topic=RecentTopic, delivery="reliable", history=History(3, 60))
        default = Route("recent", description="", topic=RecentTopic, delivery="reliable")
        self.assertEqual(Module([declared], Svc).routes()[0][5], History(3, 60))
        self.assertIsNone(Module([default], Svc).routes()[0][5], "the host applies reliable's default")
        with self.assertRaises(ValueError) as refusal:
            Route("recent", description="", topic=RecentTopic, history=(20_000, 60))
        self.assertEqual(str(refusal.exception), "route `recent`: `history=20000` is out of bounds: at most 10000")


if __name__ == "__main__":
    unittest.main()
