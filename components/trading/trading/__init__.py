"""The `trading` module: route `trades`, trades of the shared seeded market, written in Python.

- `models.py`: the request and update models (Pydantic's syntax, `topicwire.BaseModel`).
- `ws.py`: the route declarations `python -m topicwire.codegen` reads.
- `service.py`: the route's handlers; `tape.py`: the trades themselves and their durable ids.
- `api.py`: the REST API (`GET /trades/{symbol}/last`, `GET /symbols`).
- `settings.py`: the module settings (`[modules.trading]`).
- `ws_generated/`: generated from `ws.py`; `ws_generated/app.py` is what componentize-py builds.
"""
