"""The background retrain of the trainer page: one at a time, progress and report read from disk
(also by a web process that did not start it), the exit code telling done / worse / failed.

The job's command is a stand-in script here (the real `dingk3 review retrain` is run by
tests/web/test_trainer_retrain.py, marker retrain): it prints like the CLI, waits until the test lets
it go, writes the report and exits with the code it was given."""

import sys
import textwrap
from types import SimpleNamespace

from rasa_project.review.jobs import RetrainJobs
from tests.polling import wait_until

SCRIPT = textwrap.dedent("""
    import json, pathlib, sys, time
    args = sys.argv[1:]
    report = pathlib.Path(args[args.index("--report") + 1])
    go = report.parent.parent / "go"
    print("training (if the data changed) ...", flush=True)
    print("a library warning", file=sys.stderr, flush=True)
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    code = int(go.read_text())
    print("model: dingk3-new.tar.gz (trained in 1 s)", flush=True)
    if code in (0, 3):
        (report / "compare.json").write_text(json.dumps({"worse": ["fresh"] if code == 3 else [],
                                                        "after_model": "dingk3-new.tar.gz"}))
    sys.exit(code)
""")


def jobs_in(tmp_path):
    script = tmp_path / "fake_retrain.py"
    script.write_text(SCRIPT)
    settings = SimpleNamespace(var_dir=tmp_path / "var", project_root=tmp_path)
    return RetrainJobs(settings, command=[sys.executable, str(script)]), settings


def test_one_job_at_a_time_its_progress_then_a_worse_report(tmp_path):
    jobs, settings = jobs_in(tmp_path)
    first = jobs.start("trainer0001")
    assert first and jobs.start("trainer0001") is None  # a second press while it runs starts nothing
    state = wait_until(lambda: (s := jobs.latest()) and s.log and s, 30.0)
    assert state.running and state.stage == "training" and state.by == "trainer0001"
    assert state.log == ["training (if the data changed) ..."]  # library noise stays out of the progress
    (tmp_path / "var" / "review" / "go").write_text("3")
    state = wait_until(lambda: (s := jobs.latest()) and not s.running and s, 30.0)
    assert state.exit_code == 3 and state.stage == "worse" and state.report["worse"] == ["fresh"]
    # another web process (a restart) reads the same job back from disk
    again = RetrainJobs(settings).latest()
    assert again.id == first and again.stage == "worse" and again.report == state.report


def test_a_failed_job_shows_the_end_of_its_errors_and_a_new_one_may_start(tmp_path):
    jobs, _ = jobs_in(tmp_path)
    (tmp_path / "var" / "review").mkdir(parents=True)
    (tmp_path / "var" / "review" / "go").write_text("1")
    jobs.start("trainer0001")
    state = wait_until(lambda: (s := jobs.latest()) and not s.running and s, 30.0)
    assert state.stage == "failed" and state.report is None and "a library warning" in state.log
    second = jobs.start("trainer0001")
    assert second is not None and second != state.id
    assert wait_until(lambda: (s := jobs.latest()) and s.id == second and not s.running and s, 30.0).stage == "failed"
