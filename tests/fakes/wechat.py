"""A local stand-in of WeChat's mini-program server API, speaking its real HTTP shapes.

Answers GET /cgi-bin/token, GET /sns/jscode2session, POST /wxa/business/getuserphonenumber and
POST /cgi-bin/message/subscribe/send, including WeChat's error answers (40029 invalid code,
40163 code used, -1 system busy, 40001 invalid access token, 43101 user refused the message).
Tests register which codes mean what and which openids refuse messages.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID = "wx-test-appid"
SECRET = "wx-test-secret"


@dataclass
class WeChatState:
    login_codes: dict[str, str] = field(default_factory=dict)  # js_code -> openid
    phone_codes: dict[str, str] = field(default_factory=dict)  # phone code -> phone
    used_codes: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)
    busy: bool = False
    calls: list[str] = field(default_factory=list)
    refusing_openids: set[str] = field(default_factory=set)
    messages: list[dict] = field(default_factory=list)  # subscribe messages delivered
    send_delay: float = 0.0  # seconds WeChat takes to answer once it has delivered a message

    def login_code_for(self, openid: str) -> str:
        code = secrets.token_hex(8)
        self.login_codes[code] = openid
        return code

    def phone_code_for(self, phone: str) -> str:
        code = secrets.token_hex(8)
        self.phone_codes[code] = phone
        return code

    def reset(self) -> None:
        self.login_codes.clear()
        self.phone_codes.clear()
        self.used_codes.clear()
        self.busy = False
        self.calls.clear()
        self.refusing_openids.clear()
        self.messages.clear()
        self.send_delay = 0.0


def _handler(state: WeChatState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _answer(self, payload: dict) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _take(self, code: str, table: dict[str, str]) -> dict | str:
            if code in state.used_codes:
                return {"errcode": 40163, "errmsg": "code been used"}
            if code not in table:
                return {"errcode": 40029, "errmsg": "invalid code"}
            state.used_codes.add(code)
            return table[code]

        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.calls.append(url.path)
            if state.busy:
                return self._answer({"errcode": -1, "errmsg": "system error"})
            if url.path == "/cgi-bin/token":
                if query.get("appid") != APPID or query.get("secret") != SECRET:
                    return self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
                token = secrets.token_hex(16)
                state.access_tokens.add(token)
                return self._answer({"access_token": token, "expires_in": 7200})
            if url.path == "/sns/jscode2session":
                if query.get("appid") != APPID or query.get("secret") != SECRET:
                    return self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
                taken = self._take(query.get("js_code", ""), state.login_codes)
                if isinstance(taken, dict):
                    return self._answer(taken)
                return self._answer({"openid": taken, "session_key": secrets.token_urlsafe(16)})
            self.send_error(404)

        def do_POST(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.calls.append(url.path)
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            if state.busy:
                return self._answer({"errcode": -1, "errmsg": "system error"})
            if url.path == "/wxa/business/getuserphonenumber":
                if query.get("access_token") not in state.access_tokens:
                    return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                taken = self._take(payload.get("code", ""), state.phone_codes)
                if isinstance(taken, dict):
                    return self._answer(taken)
                return self._answer(
                    {
                        "errcode": 0,
                        "errmsg": "ok",
                        "phone_info": {"phoneNumber": taken, "purePhoneNumber": taken, "countryCode": "86"},
                    }
                )
            if url.path == "/cgi-bin/message/subscribe/send":
                if query.get("access_token") not in state.access_tokens:
                    return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                if payload.get("touser") in state.refusing_openids:
                    return self._answer({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
                state.messages.append(payload)
                if state.send_delay:
                    time.sleep(state.send_delay)
                return self._answer({"errcode": 0, "errmsg": "ok"})
            self.send_error(404)

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A caller killed while waiting for an answer (the fault harness does it on purpose) is
        # not the stand-in's error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class WeChatStandIn:
    def __init__(self):
        self.state = WeChatState()
        self._server = _Server(("127.0.0.1", 0), _handler(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WeChatStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
