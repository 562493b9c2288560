"""Log lines: human on the embedded default (a person reads `make run`), JSON in production (a
log collector reads them), as LOG_FORMAT says when it is set."""

import base64
import json
import logging
import secrets

import pytest

from backend.core.config import Settings
from backend.core.web.observability import configure_logging

PRODUCTION = {
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "HOUQIN_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
}


def test_embedded_default_logs_for_people_and_production_for_collectors(tmp_path):
    var = {"HOUQIN_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(var).log_format == "console"
    assert Settings.from_env({**var, **PRODUCTION}).log_format == "json"
    assert Settings.from_env({**var, **PRODUCTION, "LOG_FORMAT": "console"}).log_format == "console"
    assert Settings.from_env({**var, "LOG_FORMAT": "JSON"}).log_format == "json"


def test_an_unknown_log_format_stops_the_start(tmp_path):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        Settings.from_env({"HOUQIN_VAR_DIR": str(tmp_path), "LOG_FORMAT": "xml"})


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level = root.handlers, root.level
    yield
    root.handlers, root.level = handlers, level


def test_console_lines_read_as_text_and_json_lines_parse(capsys, restored_logging):
    configure_logging("INFO", "console")
    logging.getLogger("houqin.test").info("开始营业 %s", "ST1")
    line = capsys.readouterr().out.strip()
    assert "[info" in line and "开始营业 ST1" in line and "[houqin.test]" in line
    assert not line.startswith("{")

    configure_logging("INFO", "json")
    logging.getLogger("houqin.test").info("开始营业 %s", "ST1")
    record = json.loads(capsys.readouterr().out.strip())
    assert record["event"] == "开始营业 ST1" and record["level"] == "info" and record["logger"] == "houqin.test"
