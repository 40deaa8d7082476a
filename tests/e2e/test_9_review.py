"""Issue 19: real conversations through the channel fill the trainers' inbox; `dingk3 review`
annotates in one step (the YAML changes exactly as expected, bad edits are refused, who did it is
audited) and never waits for input when its output is not a terminal."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from rasa_project.audit import AuditTrail
from rasa_project.db import get_sessionmaker
from rasa_project.settings import PROJECT_ROOT

pytestmark = pytest.mark.stack

ODD = "帮我订一份午饭，要辣的"  # not something the bot does
FLAGGED = "P20250402 那批货啥情况"  # answered, then someone says 👎


def review(settings, root, *args):
    env = {"DINGK3_DATABASE_URL": settings.sqlalchemy_url, "DINGK3_PROJECT_ROOT": str(root),
           "DINGK3_LDAP_URL": settings.ldap_url, "PATH": os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "rasa_project.cli", "review", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "data", root / "data", ignore=shutil.ignore_patterns("jieba"))
    shutil.copy2(PROJECT_ROOT / "domain.yml", root / "domain.yml")
    shutil.copytree(PROJECT_ROOT / "tests" / "nlu_eval", root / "tests" / "nlu_eval")
    return root


def test_conversations_fill_the_inbox_and_one_command_annotates(stack, chat, project):
    _, settings = stack
    chat.ask("prod0001", ODD, None)
    chat.ask("pmc0002", FLAGGED, None)
    chat.send("pmc0002", "👎", None)
    chat.ask("pmc0002", "P20250401 进度怎么样", None)  # understood; must not be in the inbox

    listed = review(settings, project, "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    items = [json.loads(line) for line in listed.stdout.splitlines()]
    by_text = {i["text"]: i for i in items}
    assert "fallback" in by_text[ODD]["reasons"] or "low_confidence" in by_text[ODD]["reasons"], by_text.get(ODD)
    assert "flagged" in by_text[FLAGGED]["reasons"], by_text.get(FLAGGED)
    assert "P20250401 进度怎么样" not in by_text and "👎" not in by_text
    assert all("speakers" not in i for i in items)  # staff ids are not printed
    assert "prod0001" not in listed.stdout and "pmc0002" not in listed.stdout

    flagged = review(settings, project, "list", "--reason", "flagged", "--json")
    assert [json.loads(line)["text"] for line in flagged.stdout.splitlines()].count(FLAGGED) == 1

    nlu_file = project / "data" / "nlu" / "queries.yml"
    before = nlu_file.read_text(encoding="utf-8").splitlines()
    done = review(settings, project, "intent", by_text[FLAGGED]["id"], "query_order", "--by", "pmc0001")
    assert done.returncode == 0, done.stderr
    after = nlu_file.read_text(encoding="utf-8").splitlines()
    added = [line for line in after if line not in before]
    assert added == [f"    - {FLAGGED}"] and len(after) == len(before) + 1

    again = review(settings, project, "intent", by_text[FLAGGED]["id"], "create_order", "--by", "pmc0001")
    assert again.returncode == 1 and "query_order" in again.stderr  # now it would sit under two intents
    assert nlu_file.read_text(encoding="utf-8").splitlines() == after

    remaining = [json.loads(line)["text"] for line in review(settings, project, "--json").stdout.splitlines()]
    assert FLAGGED not in remaining and ODD in remaining  # handled items leave the inbox

    trail = AuditTrail(get_sessionmaker(settings.sqlalchemy_url))
    training = [json.loads(r.payload) | {"actor": r.actor} for r in trail.of_kinds(("training",))]
    assert any(t["actor"] == "pmc0001" and t["text"] == FLAGGED and t["intent"] == "query_order" for t in training)
    assert trail.verify().ok


def test_a_model_switch_on_the_running_server_loses_no_message(stack, chat, model_path):
    """The switch `dingk3 review retrain` makes after a better model (the channel's PUT /model): the
    model loads beside the running one, so conversations going on during the swap all get their
    answers (DingTalk's HTTP callback waits 5 s and does not retry); `dingk3 status` names the hash."""
    import threading

    from rasa_project.review import rollout

    _, settings = stack
    loaded = rollout.active_models(settings)
    assert list(loaded) == [f"http://127.0.0.1:{settings.rasa_port}"], loaded
    assert all(m and m.endswith(model_path.name) for m in loaded.values()), loaded
    start = chat.mark()
    outcome = {}
    switching = threading.Thread(target=lambda: outcome.update(rollout.switch(settings, model_path)))
    switching.start()
    people = ["pmc0001", "pmc0002", "manager0001", "prod0001"]
    delivered, chats = [], set()
    for i, who in enumerate(people * 2):
        sent = chat.send(who, f"P2025040{1 + i % 3} 进度怎么样", None)
        delivered.append(sent.get("status"))
        chats.add(sent.get("conversation_id"))
        time.sleep(1.0)
    switching.join(timeout=300)
    assert delivered == [200] * len(delivered), delivered  # every callback acknowledged in time
    assert outcome and all(v == "loaded" for v in outcome.values()), outcome
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answered = [r for r in chat.replies(start) if r.conversation_id in chats and "P202504" in r.text]
        if len(answered) >= len(people) * 2:
            break
        time.sleep(0.5)
    assert len(answered) >= len(people) * 2, [r.text[:40] for r in chat.replies(start)]
    status = subprocess.run([sys.executable, "-m", "rasa_project.cli", "status"], capture_output=True, text=True,
                            env={**os.environ, "DINGK3_RASA_PORT": str(settings.rasa_port)}, timeout=60,
                            stdin=subprocess.DEVNULL, check=False)
    assert rollout.model_hash(model_path) in status.stdout, status.stdout + status.stderr
