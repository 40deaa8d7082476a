"""Training with a content cache: the model file is named after a hash of everything it is
built from, so ``dingk3 train`` is a no-op when nothing changed.

Hashed inputs: config.yml, domain.yml (full models), every file under data/ (NLU examples,
rules, stories, mapping tables, the Jieba jargon dictionary), rasa_project/nlu/**/*.py and
rasa_project/nlu/language.py + mapping.py (they decide what the components output), and the rasa
version. Rasa runs as a subprocess; its output goes to var/logs/train.log.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rasa_project.progress import Progress, log_tail

MINIMAL_DOMAIN = 'version: "3.1"\n'


class TrainingFailed(RuntimeError):
    def __init__(self, log_path: Path, returncode: int) -> None:
        super().__init__(f"rasa train failed (exit {returncode}); see {log_path}")
        self.log_path, self.returncode = log_path, returncode


@dataclass(frozen=True)
class TrainResult:
    path: Path
    trained: bool  # False: the cached model for these inputs was reused
    seconds: float


def _rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def training_inputs(root: Path, nlu_only: bool) -> list[Path]:
    """Files whose content decides the model, in a stable order."""
    files = [root / "config.yml"]
    if not nlu_only and (root / "domain.yml").exists():
        files.append(root / "domain.yml")
    data = root / "data"
    files += sorted(p for p in data.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    code = root / "rasa_project"
    files += sorted((code / "nlu").rglob("*.py"))
    files += [code / "language.py", code / "mapping.py"]
    return [f for f in files if f.exists()]


def inputs_hash(root: Path, nlu_only: bool) -> str:
    digest = hashlib.sha256()
    digest.update(f"rasa={_rasa_version()};nlu_only={nlu_only}\n".encode())
    for path in training_inputs(root, nlu_only):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def model_name(root: Path, nlu_only: bool) -> str:
    prefix = "dingk3-nlu-" if nlu_only else "dingk3-"
    return f"{prefix}{inputs_hash(root, nlu_only)[:12]}"


def model_path(root: Path, out: Path, nlu_only: bool) -> Path:
    return out / f"{model_name(root, nlu_only)}.tar.gz"


def _rasa_env(root: Path) -> dict:
    # Subprocess environment for rasa: TF threads = our 2 cores, no telemetry, quiet TF logs.
    env = dict(os.environ)
    env.update({
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_INTER_OP_PARALLELISM_THREADS": "2",
        "TF_INTRA_OP_PARALLELISM_THREADS": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")])),
    })
    return env


def train(root: Path, out: Path, log_path: Path, *, nlu_only: bool = False, force: bool = False) -> TrainResult:
    """Train (or reuse) the model for the current inputs; returns its path."""
    target = model_path(root, out, nlu_only)
    if target.exists() and not force:
        return TrainResult(target, False, 0.0)
    out.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dingk3-train-") as tmp:
        tmp_out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "rasa", "train"]
        if nlu_only:
            cmd += ["nlu", "--nlu", str(root / "data" / "nlu")]
            # The NLU graph does not need the dialog domain (and domain.yml is not hashed for
            # NLU-only models): an empty domain keeps the model a function of its inputs.
            domain = Path(tmp) / "domain.yml"
            domain.write_text(MINIMAL_DOMAIN, encoding="utf-8")
            cmd += ["--domain", str(domain)]
        else:
            cmd += ["--domain", str(root / "domain.yml"), "--data", str(root / "data")]
        cmd += ["--config", str(root / "config.yml"), "--out", str(tmp_out),
                "--fixed-model-name", target.name.removesuffix(".tar.gz")]
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"\n=== {' '.join(cmd)}\n")
            log.flush()
            what = "training the NLU model" if nlu_only else "training the Rasa model (1-3 min on 2 cores)"
            with Progress(what, detail=log_tail(log_path)):
                proc = subprocess.run(cmd, check=False, cwd=root, env=_rasa_env(root), stdout=log,
                                      stderr=subprocess.STDOUT)
        produced = tmp_out / target.name
        if proc.returncode != 0 or not produced.exists():
            raise TrainingFailed(log_path, proc.returncode)
        partial = target.with_suffix(".partial")
        shutil.move(str(produced), partial)
        partial.replace(target)  # atomic: a half-written model never carries the final name
    return TrainResult(target, True, time.monotonic() - started)


def ensure_model(nlu_only: bool = False) -> Path:
    """Path of an up-to-date model (trains it if needed). For test fixtures and the runner."""
    from rasa_project.settings import get_settings

    settings = get_settings()
    root = settings.project_root
    return train(root, settings.model_dir, settings.var_dir / "logs" / "train.log", nlu_only=nlu_only).path
