"""Shared fixtures: the repository's examples, the medfund binary (to
compare with), one local Ray cluster for the whole session."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def medfund_bin() -> str:
    """The `medfund` binary: $MEDFUND_BIN, else the workspace's release or debug build."""
    given = os.environ.get("MEDFUND_BIN")
    if given:
        return given
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "medfund"
        if path.exists():
            return str(path)
    pytest.fail("no medfund binary: build it (cargo build --release -p medfund-cli) or set MEDFUND_BIN")


def cli(*args: str, stdin: bytes = b"") -> bytes:
    """stdout of `medfund ARGS`, asserting success."""
    done = subprocess.run([medfund_bin(), *args], input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def cli_json(*args: str) -> dict:
    return json.loads(cli(*args))


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster (2 CPUs) for every test that needs one."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", configure_logging=False)
    try:
        import ray.data

        ray.data.DataContext.get_current().enable_progress_bars = False
    except Exception:  # pragma: no cover - older Ray
        pass
    yield ray
    ray.shutdown()
