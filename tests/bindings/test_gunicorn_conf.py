"""bindings/gunicorn_conf.py, read by gunicorn's own settings model: every name is one gunicorn knows (a misspelt
one is silently ignored), and the app is not preloaded, so each worker builds its clients after the fork."""

from __future__ import annotations

import runpy
from pathlib import Path

from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "bindings" / "gunicorn_conf.py"


def _settings() -> dict[str, object]:
    return {k: v for k, v in runpy.run_path(str(CONF)).items() if not k.startswith("_") and k != "os"}


def test_every_name_in_the_config_is_a_gunicorn_setting():
    known = Config().settings
    unknown = sorted(name for name in _settings() if name not in known)
    assert not unknown, f"not gunicorn settings (gunicorn would ignore them): {unknown}"


def test_workers_load_the_app_after_the_fork():
    # A gRPC channel (the Dapr SDK's, bindings/dapr_client.py) made in the master would be unusable in a worker.
    cfg = Config()
    for name, value in _settings().items():
        cfg.set(name, value)
    assert cfg.preload_app is False
    assert cfg.worker_class_str == "gthread"
