"""The aiohttp application key under which the emulator's `State` lives."""

from typing import Any

from aiohttp import web

STATE: web.AppKey[Any] = web.AppKey("zoom_emulator_state", object)
