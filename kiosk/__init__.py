"""The agent that runs on each canteen terminal (食堂消费终端), and in gate mode on a gate
terminal (门禁终端).

It reads the card reader and the QR scanner, shows each result on the kiosk screen (a local web
page in full-screen Chromium) within a second, prints receipts, and talks to the backend only
over signed HTTP; when the backend cannot be reached it takes card payments offline into a
journal on disk and uploads them when it is back.

    config.py          settings (JSON file and KIOSK_* variables)
    backend_client.py  signed requests to the backend's terminal API
    payments.py        a tap or a scan to a result: online first, offline otherwise; receipts
    offline.py         risk parameters and the offline decision (blacklist, category price, limits)
    orders.py          the amount keyed or the dishes chosen at a free-amount or menu terminal
    journal.py         the offline journal (SQLite, WAL, synchronous=FULL)
    sync.py            reachability, risk refresh, journal upload, heartbeat
    screen.py          the screen's local web server and WebSocket; static/ holds the page
    simulation.py      routes that drive simulated devices (sim URIs only)
    agent.py           the agent: devices, screen and backend put together
    gate_agent.py      gate mode (KIOSK_MODE=gate): a pass or a staff card checked, the gate relay pulsed
    gate_pass.py       the gate's offline decision: the signed pass, the last sync, its own journal
    gate_journal.py    every decision at the gate (SQLite, WAL, synchronous=FULL), uploaded once
    gate_sync.py       the gate's sync (revocations, used entries, active cards) and journal upload
    __main__.py        the `houqin-kiosk` command
"""
