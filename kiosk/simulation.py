"""Driving simulated devices over the screen's local server, for demos, tests and the bench.

Routes are added only for the devices that are simulators (`sim` URIs), so a kiosk with real
devices has none of them:

    POST /sim/card      {"uid": "04A1B2C3"}            a card tapped on the simulated reader
    POST /sim/scan      {"code": "..."}                a code shown to the simulated scanner
    GET  /sim/receipts                                 what the simulated printer has printed
    POST /sim/printer   {"paper_out": true/false}      load or empty the simulated printer
"""

from __future__ import annotations

from aiohttp import web

from hardware.printer import SimulatedPrinter
from hardware.readers import SimulatedReader


def _tap_route(reader: SimulatedReader, field: str):
    async def tap(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            reader.tap(str(body[field]))
        except (ValueError, KeyError, TypeError) as problem:
            return web.json_response({"error": str(problem)}, status=400)
        return web.json_response({"queued": True}, status=202)

    return tap


def add_simulator_routes(app: web.Application, card_reader: object, scanner: object, printer: object) -> None:
    if isinstance(card_reader, SimulatedReader):
        app.router.add_post("/sim/card", _tap_route(card_reader, "uid"))
    if isinstance(scanner, SimulatedReader):
        app.router.add_post("/sim/scan", _tap_route(scanner, "code"))
    if isinstance(printer, SimulatedPrinter):

        async def receipts(request: web.Request) -> web.Response:
            return web.json_response({"receipts": printer.receipts})

        async def paper(request: web.Request) -> web.Response:
            printer.paper_out = bool((await request.json()).get("paper_out"))
            return web.json_response({"paper_out": printer.paper_out})

        app.router.add_get("/sim/receipts", receipts)
        app.router.add_post("/sim/printer", paper)
