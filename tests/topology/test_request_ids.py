"""Log lines carry the chat message's request id: [rid=…] on text lines, a field of JSON lines."""

from __future__ import annotations

import io
import json
import logging

from rasa_project import logs


def _logger(json_lines: bool) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.RequestIdFormatter(logging.Formatter("%(levelname)s %(message)s"),
                                                 json_lines=json_lines, service="rasa"))
    logger = logging.getLogger(f"test.rid.{json_lines}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_text_lines_end_with_the_request_id_only_inside_a_request():
    logger, out = _logger(False)
    logger.info("outside")
    token = logs.REQUEST_ID.set("abc123")
    try:
        logger.info("dingtalk: message %s accepted", "msg1")
    finally:
        logs.REQUEST_ID.reset(token)
    assert out.getvalue().splitlines() == ["INFO outside", "INFO dingtalk: message msg1 accepted [rid=abc123]"]


def test_json_lines_hold_the_request_id_and_the_exception():
    logger, out = _logger(True)
    token = logs.REQUEST_ID.set("abc123")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("K/3 %s failed", "View")
    finally:
        logs.REQUEST_ID.reset(token)
    line = json.loads(out.getvalue())
    assert (line["request_id"], line["service"], line["level"], line["message"]) == (
        "abc123", "rasa", "ERROR", "K/3 View failed")
    assert "ValueError: boom" in line["exception"]


def test_an_outside_request_id_is_taken_only_when_plain():
    assert logs.clean("7f3a-01.b:2") == "7f3a-01.b:2"
    assert logs.clean("x" * 65) is None and logs.clean("a b") is None and logs.clean("a\nb") is None
    assert logs.clean("abc\n") is None and logs.clean(None) is None
