"""The decision log loses no decision: on close, with a batch being written at that moment,
after close, when a write fails, and when the process exits without closing it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from pricing.serving import decision_log
from pricing.serving.decision_log import DecisionLog, read_decisions


def records(n: int, product: str = "P0001") -> list[dict]:
    """Decision records shaped like the engine's (features and response as dicts)."""
    return [
        {
            "product_id": product,
            "location_id": "all",
            "policy": "ppo",
            "action_probability": 0.5,
            "recommended_price": 2.49 + i,
            "current_price": 2.29,
            "allowed_prices": [2.19, 2.49],
            "features": {"last_price": 2.29, "last_price__ts": 1},
            "response": {"recommended_price": 2.49 + i, "fallback": False},
        }
        for i in range(n)
    ]


def test_close_writes_everything_logged(tmp_path):
    log = DecisionLog(tmp_path, interval_s=60)
    for n in range(5):
        log.log(records(3), request_id=f"r{n}")
    log.close()
    frame = read_decisions(tmp_path)
    assert len(frame) == 15 and frame["request_id"].value_counts().to_dict() == {
        f"r{n}": 3 for n in range(5)
    }
    assert "__ts" not in frame["features"].iloc[0] and '"fallback": false' in frame["response"][0]


def test_close_waits_for_the_batch_being_written(tmp_path, monkeypatch):
    writing, release = threading.Event(), threading.Event()
    real = DecisionLog._write

    def slow(self, batch, number):
        writing.set()
        release.wait(5)
        real(self, batch, number)

    monkeypatch.setattr(DecisionLog, "_write", slow)
    log = DecisionLog(tmp_path, interval_s=0.01)
    log.log(records(4), request_id="in-flight")
    assert writing.wait(5)  # the writer holds the batch now
    log.log(records(2), request_id="later")
    closing = threading.Thread(target=log.close)
    closing.start()
    time.sleep(0.1)
    assert closing.is_alive()  # close does not return before the batch is on disk
    release.set()
    closing.join(5)
    assert sorted(read_decisions(tmp_path)["request_id"]) == ["in-flight"] * 4 + ["later"] * 2


def test_a_decision_logged_after_close_is_written_at_once(tmp_path):
    log = DecisionLog(tmp_path, interval_s=60)
    log.close()
    log.log(records(2), request_id="late")
    assert list(read_decisions(tmp_path)["request_id"]) == ["late", "late"]


def test_a_failed_write_keeps_its_batch_for_the_next(tmp_path, monkeypatch, caplog):
    real, failures = DecisionLog._write, []

    def flaky(self, batch, number):
        if not failures:
            failures.append(number)
            raise OSError("disk full")
        real(self, batch, number)

    monkeypatch.setattr(DecisionLog, "_write", flaky)
    log = DecisionLog(tmp_path, interval_s=60)
    log.log(records(3), request_id="first")
    log.flush()
    assert read_decisions(tmp_path).empty and "3 decisions not written yet" in caplog.text
    log.log(records(1), request_id="second")
    log.close()
    assert sorted(read_decisions(tmp_path)["request_id"]) == ["first"] * 3 + ["second"]


@pytest.mark.parametrize("ending", ["", "raise SystemExit(3)", "raise KeyboardInterrupt"])
def test_a_process_that_exits_without_closing_still_writes_its_buffer(tmp_path, ending):
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pricing.serving.decision_log import DecisionLog\n"
        "from tests.unit.serving.test_decision_log import records\n"
        f"log = DecisionLog(Path({str(tmp_path)!r}), interval_s=3600)\n"
        "log.log(records(7), request_id='unclosed')\n"
        f"{ending}\n"
    )
    subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120, check=False)
    assert list(read_decisions(tmp_path)["request_id"]) == ["unclosed"] * 7


def test_serialized_keeps_the_record_it_was_given():
    record = records(1)[0]
    stored = decision_log.serialized(record)
    assert isinstance(record["features"], dict) and isinstance(stored["features"], str)
