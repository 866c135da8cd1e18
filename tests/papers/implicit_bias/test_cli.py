"""A user's own dataset through the CLI: ``--set implicit_bias.data=FILE.npz`` runs the seed-003 claims on it,
and a file that cannot be used is refused with one line and exit 2, before any training."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from verify import cli

#: the fewest steps the settings allow to matter little: this is about the file reaching the jobs, not the verdict
FAST = ["--set", "deep_linear.seeds=2", "--set", "deep_linear.l2_steps=30", "--set", "deep_linear.l2_depths=2",
        "--set", "deep_linear.checkpoints=2", "--set", "deep_linear.rate_steps=20", "--no-figures", "--workers", "1"]


@pytest.fixture
def atv(capsys, tmp_path, monkeypatch):
    """``atv ARGS`` through the entry point ``python -m verify`` calls (``verify.cli.main``), in this process (no
    interpreter start-up and imports per case): its exit code, stdout and stderr.  An exception other than the exit
    escapes, so a traceback fails the test.  It runs in an empty folder (not the checkout, whose ./atv-out may hold
    a run)."""
    monkeypatch.chdir(tmp_path)

    def call(*args: str) -> SimpleNamespace:
        with pytest.raises(SystemExit) as exited:
            cli.main(list(args))
        out = capsys.readouterr()
        return SimpleNamespace(returncode=exited.value.code or 0, stdout=out.out, stderr=out.err)

    return call


def save(path, **arrays) -> str:
    np.savez(path, **arrays)
    return str(path)


def test_a_user_dataset_runs_through_the_cli(tmp_path, atv):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 6))
    y = np.sign(X[:, 0] + 0.5 * X[:, 1])
    path = save(tmp_path / "mine.npz", X=X, y=y)
    done = atv("run", "--only", "implicit_bias.dln.l2.direction", "--set", f"implicit_bias.data={path}", *FAST,
               "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    verdict = json.loads((tmp_path / "out" / "results.json").read_text())["verdicts"][0]
    assert {c["config"]["data"] for c in verdict["configs"]} == {path}
    assert verdict["configs"][0]["config"]["digest"]  # the file's content is part of the job's identity


@pytest.mark.parametrize("arrays, fragment", [
    ({"X": np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]]), "y": np.array([1.0, 1.0, -1.0, -1.0])},
     "is not linearly separable"),
    ({"X": np.ones((4, 2))}, "needs arrays X and y"),
    ({"X": np.eye(3), "y": np.array([0.0, 1.0, 1.0])}, "y must hold both labels -1 and +1"),
    ({"X": np.eye(3), "y": np.array([1.0, -1.0])}, "X must be (n, d) and y (n,)"),
    ({"X": np.array([[np.nan, 1.0], [1.0, 2.0]]), "y": np.array([1.0, -1.0])}, "non-finite"),
])
def test_a_bad_dataset_exits_2_with_one_line(tmp_path, atv, arrays, fragment):
    path = save(tmp_path / "bad.npz", **arrays)
    done = atv("run", "--only", "implicit_bias.*", "--set", f"implicit_bias.data={path}")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and fragment in lines[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("content, fragment", [(b"not an archive", "is not a readable .npz archive"),
                                               (None, "does not exist")])
def test_a_file_that_is_not_a_dataset_exits_2_with_one_line(tmp_path, atv, content, fragment):
    path = tmp_path / "x.npz"
    if content is not None:
        path.write_bytes(content)
    done = atv("run", "--only", "implicit_bias.*", "--set", f"implicit_bias.data={path}")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and fragment in lines[0], done.stderr
