"""`houqin-kiosk` (or `python -m kiosk`): run the agent until SIGTERM or Ctrl-C: the canteen
terminal's, or the gate terminal's with KIOSK_MODE=gate.

    houqin-kiosk [--config kiosk.json] [--sim]

Settings come from the file and KIOSK_* environment variables (see kiosk.config).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from kiosk.config import GATE, ConfigError, KioskConfig, load_config


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="houqin-kiosk", description="食堂消费终端与门禁终端代理程序")
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("KIOSK_CONFIG") or None,
        help="JSON settings file (the console's device QR code content will do); KIOSK_* variables win",
    )
    parser.add_argument(
        "--sim", action="store_true", help="simulated card reader, scanner and printer (and gate relay in gate mode)"
    )
    return parser.parse_args(argv)


def make_agent(config: KioskConfig):
    """The canteen agent, or the gate agent in gate mode; ValueError for a device URI that names
    no device."""
    # Imported after logging is set up: an ESC/POS printer's library configures logging on import.
    if config.mode == GATE:
        from kiosk.gate_agent import GateAgent, GateDevices

        return GateAgent(config, GateDevices.from_config(config))
    from kiosk.agent import Agent, Devices

    return Agent(config, Devices.from_config(config))


async def run(config: KioskConfig) -> int:
    try:
        agent = make_agent(config)
    except ValueError as problem:  # a device URI that names no device
        print(f"houqin-kiosk: {problem}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await agent.start()
    try:
        await stop.wait()
    finally:
        await agent.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would bury what matters
    try:
        config = load_config(file=args.config, simulate=args.sim)
    except ConfigError as problem:
        print(f"houqin-kiosk: {problem}", file=sys.stderr)
        return 2
    return asyncio.run(run(config))


if __name__ == "__main__":
    raise SystemExit(main())
