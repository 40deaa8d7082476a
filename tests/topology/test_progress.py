"""Long steps (training, starting services, installs) say what they do and for how long (issue 17 item 8)."""

from __future__ import annotations

import io
import re
import subprocess
import time

import pytest

from rasa_project.progress import Progress, log_tail
from rasa_project.settings import PROJECT_ROOT


def test_a_long_step_says_what_it_does_with_elapsed_time_and_its_log_line(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("Processed story blocks\nEpochs:  10%|█   | 4/40 [00:03<00:30]\rEpochs:  45%|████ | 18/40\r")
    out = io.StringIO()
    with Progress("training the Rasa model", detail=log_tail(log), every_s=0.02, stream=out):
        deadline = time.monotonic() + 10
        while out.getvalue().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[dingk3] training the Rasa model …"
    assert "s (Epochs:  45%|████ | 18/40)" in lines[1]  # the progress bar's latest state, not the first
    assert lines[-1].startswith("[dingk3] training the Rasa model done in ") and lines[-1].endswith(" s")


def test_a_failed_step_says_so():
    out = io.StringIO()
    with pytest.raises(RuntimeError), Progress("starting rasa", stream=out, every_s=60):
        raise RuntimeError("exited")
    assert out.getvalue().splitlines()[-1].startswith("[dingk3] starting rasa failed after ")


def test_bootstrap_times_its_long_steps():
    """scripts/bootstrap.sh's `timed`: what, then the elapsed time, and how it ended."""
    script = (f'source <(sed -n "/^say()/,/^wait_quietly/p" {PROJECT_ROOT}/scripts/bootstrap.sh); '
              'timed "a step" true; timed "a broken step" false; echo "rc=$?"')
    out = subprocess.run(["bash", "-c", script], check=False, capture_output=True, text=True,
                         timeout=30).stdout
    assert "a step …" in out and re.search(r"a step: done in \d+ s", out)
    assert "a broken step: failed after" in out and "rc=1" in out
