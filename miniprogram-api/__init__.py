"""The HTTP API the WeChat mini-program calls (`/mp/v1`): thin handlers over backend services."""

from __future__ import annotations

from miniprogram_api import auth, canteen, profile, repairs, wallet
from sanic import Blueprint, Sanic


def register(app: Sanic) -> None:
    app.blueprint(Blueprint.group(auth.bp, profile.bp, wallet.bp, canteen.bp, repairs.bp, url_prefix="/mp/v1"))
