"""REST API of the snapshot module."""

from __future__ import annotations

from topicwire import HttpService


class ShopApi(HttpService):
    pass
