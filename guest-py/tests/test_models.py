"""The model base: Pydantic's class syntax, validation, errors and JSON Schemas, checked against Pydantic itself."""

from __future__ import annotations

import importlib.util
import json
import sys
import unittest
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import models_under_test  # noqa: E402
import topicwire  # noqa: E402
from topicwire import ValidationError  # noqa: E402

OURS = models_under_test.build(topicwire)
HAVE_PYDANTIC = importlib.util.find_spec("pydantic") is not None


def outcome(model: Any, data: Any) -> Any:
    """What validating ``data`` gives: the dumped model, or every error's location, message and type."""
    try:
        validated = model.model_validate(data)
    except Exception as error:  # noqa: BLE001 - both libraries' ValidationError
        return [(tuple(e["loc"]), e["msg"], e["type"]) for e in error.errors()]  # type: ignore[attr-defined]
    return ("ok", validated.model_dump(mode="json", by_alias=True))


class Models(unittest.TestCase):
    def test_validation_and_dumps(self) -> None:
        Everything, Trade = OURS["Everything"], OURS["Trade"]  # noqa: N806
        value = Everything(s="x", accountId="A1", side=-1, inner={"a": "2"})
        self.assertEqual(value.acct, "A1")
        self.assertEqual(value.inner.a, 2)
        self.assertIs(value.side, models_under_test.Side.SELL)
        self.assertEqual(value.model_dump(by_alias=True)["accountId"], "A1")
        self.assertEqual(value.model_dump(mode="json")["side"], -1)
        self.assertEqual(value.items, [])
        self.assertIsNot(Everything(s="y").inners, Everything(s="z").inners, "mutable defaults are copied")
        trade = Trade(symbol="AAPL", price=1, quantity=2, time=3, side=1)
        self.assertEqual(trade.model_dump_json(), '{"symbol":"AAPL","price":1.0,"quantity":2,"time":3,"side":1}')
        self.assertEqual(repr(trade), "Trade(symbol='AAPL', price=1.0, quantity=2, time=3, side=<Side.BUY: 1>)")
        self.assertEqual(Trade.model_validate_json(trade.model_dump_json()), trade)
        self.assertEqual(list(Trade.model_fields), ["symbol", "price", "quantity", "time", "side"])
        self.assertEqual(Trade.model_construct(symbol="X").symbol, "X")

    def test_errors_name_the_field(self) -> None:
        Everything = OURS["Everything"]  # noqa: N806
        with self.assertRaises(ValidationError) as failed:
            Everything.model_validate({"s": "x", "inners": [{"a": "x"}], "items": [1]})
        self.assertEqual(
            failed.exception.describe(),
            "items.0: Input should be a valid string; "
            "inners.0.a: Input should be a valid integer, unable to parse string as an integer",
        )
        self.assertIn("2 validation errors for Everything", str(failed.exception))
        with self.assertRaises(ValidationError) as malformed:
            Everything.model_validate_json("{nope")
        self.assertEqual(malformed.exception.errors()[0]["type"], "json_invalid")

    def test_unsupported_annotations_are_named(self) -> None:
        import datetime

        class Dated(topicwire.BaseModel):
            when: datetime.datetime

        with self.assertRaisesRegex(TypeError, "does not support the annotation"):
            Dated(when=1)

    @unittest.skipUnless(HAVE_PYDANTIC, "Pydantic is not installed: nothing to compare with")
    def test_the_same_outcomes_as_pydantic(self) -> None:
        import pydantic

        theirs = models_under_test.build(pydantic)
        differences = []
        for name, data in models_under_test.CASES:
            ours, reference = outcome(OURS[name], data), outcome(theirs[name], data)
            if ours != reference:
                differences.append(f"{name} {data!r}:\n  pydantic {reference}\n  topicwire {ours}")
        self.assertEqual(differences, [], "\n".join(differences))

    @unittest.skipUnless(HAVE_PYDANTIC, "Pydantic is not installed: nothing to compare with")
    def test_the_same_json_schemas_as_pydantic(self) -> None:
        import pydantic

        theirs = models_under_test.build(pydantic)
        for name in ("Everything", "Trade", "Strict", "Checked"):
            self.assertEqual(
                json.dumps(OURS[name].model_json_schema(), sort_keys=True),
                json.dumps(theirs[name].model_json_schema(), sort_keys=True),
                name,
            )


if __name__ == "__main__":
    unittest.main()
