"""The command line: exit codes, one-line errors, results.json, reproducibility, crash safety."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from theory.registry import REGISTRY
from verify import cli
from verify.suite import Suite
from verify.schema import validate

runner = CliRunner()
TINY = ["--set", "networks=12", "--set", "N=24", "--set", "d=4", "--set", "K=4", "--set", "L=2"]


def atv(*args: str):
    return runner.invoke(cli.app, list(args))


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def entry(capsys, tmp_path, monkeypatch):
    """``atv ARGS`` through ``verify.cli.main``, the entry point ``python -m verify`` calls, in this process (no
    interpreter start-up per case): its exit code, stdout and stderr, as ``run_module`` returns them.  Anything but
    the exit escapes, so a traceback fails the test; ``run_module`` remains for what only a process shows.  It runs
    in an empty folder: a run left in the checkout's ./atv-out would refuse every ``atv run`` first."""
    monkeypatch.chdir(tmp_path)

    def call(*args: str) -> subprocess.CompletedProcess:
        with pytest.raises(SystemExit) as exited:
            cli.main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), exited.value.code or 0, out.out, out.err)

    return call


@pytest.mark.parametrize("args, fragment", [
    (["run", "--only", "nosuch"], "no claim matches 'nosuch'"),
    (["run", "--profile", "nosuch"], "unknown profile 'nosuch'"),
    (["run", "--set", "sigma_b2=-1"], "sigma_b2 must be >= 0"),
    (["run", "--set", "N=abc"], "N must be an integer"),
    (["run", "--set", "networks=1"], "networks must be >= 4"),
    (["run", "--set", "bogus=1"], "unknown setting 'bogus'"),
    (["run", "--device", "tpu"], "--device must be auto, cpu, cuda or cuda:<index>"),
    (["run", "--seed", "-1"], "must be an integer in [0, 2^63), got '-1'"),
    (["run", "--executor", "dask"], "--executor must be local or ray"),
    (["claims", "--only", "nosuch"], "no claim matches"),
    (["bench", "--dtype", "float16"], "--dtype must be float64 or float32"),
    (["bench", "--device", "tpu"], "--device must be auto, cpu, cuda or cuda:<index>"),
    (["run", "--set", "dtype=float16"], "dtype must be one of float32, float64, got 'float16'"),
    (["run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla", "--set", "N=99999"], "GiB at once"),
    (["run", "--out", "/proc/version/x"], "which is a file, not a folder"),
    (["run", "--only", ","], "--only needs one or more comma-separated names"),
    (["run", "--threads", "0"], "must be an integer >= 1, got '0'"),
    (["run", "--bogus"], "No such option: --bogus"),
    (["run", "--seed", "1_000"], "got '1_000'"),
    (["latex", "--results", "/proc/version"], "cannot read results file"),
])
def test_bad_usage_exits_2_with_one_line(entry, args, fragment):
    result = entry(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and lines[0].startswith("atv: error:")
    assert "Traceback" not in result.stderr + result.stdout


def test_run_settings_lists_every_setting_and_runs_nothing(tmp_path):
    result = run_module("run", "--settings", "--profile", "paper", "--set", "networks=8", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("profile paper: ")
    assert "[meanfield.jacobian]  (--set jacobian.KEY)" in result.stdout
    assert "  networks" in result.stdout and "; default 1024" in result.stdout
    assert not list(tmp_path.iterdir())


def test_config_file_value_out_of_range_is_refused(tmp_path, entry):
    config = tmp_path / "bad.toml"
    config.write_text("sigma_w2 = -2.0\n")
    result = entry("run", "--config", str(config))
    assert result.returncode == 2 and "sigma_w2 must be > 0" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    config.write_text("[section]\nN = 3\n")
    assert entry("run", "--config", str(config)).returncode == 2
    assert entry("run", "--config", str(tmp_path / "missing.toml")).returncode == 2


def test_a_config_value_is_checked_alone_and_settings_together_after_set(tmp_path):
    """A bad value in the file is refused even where --set replaces it; a file value valid only with the --set
    value of another setting (narrow_N below the N that --set gives) is accepted."""
    bad = tmp_path / "bad.toml"
    bad.write_text("N = -4\n")
    refused = atv("run", "--config", str(bad), "--set", "N=16", "--settings")
    assert refused.exit_code == 2 and "N must be >= 1" in refused.output
    related = tmp_path / "related.toml"
    related.write_text("[meanfield.dynamics]\nnarrow_N = 200\n")
    accepted = atv("run", "--config", str(related), "--set", "meanfield.dynamics.N=256", "--settings")
    assert accepted.exit_code == 0, accepted.output
    assert "narrow_N     = 200" in accepted.output
    alone = atv("run", "--config", str(related), "--settings")
    assert alone.exit_code == 2 and "narrow_N must lie in [1, dynamics.N = 128)" in alone.output


def test_claims_lists_every_claim():
    result = atv("claims")
    assert result.exit_code == 0
    for claim in REGISTRY:
        assert claim.id in result.output


def _statistics(path):
    data = json.loads(path.read_text())
    validate(data)
    return [{k: v for k, v in verdict.items() if k != "seconds"} for verdict in data["verdicts"]], data


def test_run_writes_valid_results_and_is_reproducible(tmp_path):
    # no figures: this is about the verdicts (the LaTeX test checks a run's figures and their results.json)
    args = ["run", "--only", "meanfield.thm4_1.*.vanilla", "--no-figures", "--seed", "3", *TINY]
    first = atv(*args, "--out", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    assert "Verdicts" in first.output
    second = atv(*args, "--out", str(tmp_path / "b"))
    assert second.exit_code == 0, second.output
    stats_a, data = _statistics(tmp_path / "a" / "results.json")
    stats_b, _ = _statistics(tmp_path / "b" / "results.json")
    assert stats_a == stats_b
    meta = data["metadata"]
    assert meta["state"] == "complete" and meta["seed"] == 3 and meta["profile"]["name"] == "quick"
    assert meta["versions"]["torch"] and meta["finished"]
    verdict = data["verdicts"][0]
    for key in ("claim_id", "status", "statistic", "ci_low", "ci_high", "tolerance", "n_samples", "configs",
                "seconds"):
        assert key in verdict
    other = atv(*args[:-len(TINY)], *TINY[:0], "--seed", "4", *TINY, "--out", str(tmp_path / "c"))
    assert other.exit_code == 0
    stats_c, _ = _statistics(tmp_path / "c" / "results.json")
    assert [s["statistic"] for s in stats_c] != [s["statistic"] for s in stats_a]


def test_strict_exits_1_when_a_claim_is_violated(tmp_path, monkeypatch):
    from verify.verdict import Status

    original = Suite._judge

    def violated(self, *args):
        verdict = original(self, *args)
        verdict.status = Status.VIOLATED
        return verdict

    monkeypatch.setattr(Suite, "_judge", violated)
    args = ["run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla", *TINY, "--no-figures", "--out", str(tmp_path)]
    assert atv(*args).exit_code == 0
    assert atv(*args, "--strict", "--overwrite").exit_code == 1


def test_interrupted_run_keeps_finished_verdicts(tmp_path, monkeypatch):
    original = Suite._judge
    calls = {"n": 0}

    def interrupt_second(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(Suite, "_judge", interrupt_second)
    # one look per claim (rounds are the test_api interrupt's): the second judgement is the second claim's
    result = atv("run", "--only", "meanfield.thm4_1.*.vanilla", *TINY, "--set", "rounds=1", "--out", str(tmp_path))
    assert result.exit_code == 130
    data = json.loads((tmp_path / "results.json").read_text())
    validate(data)
    assert data["metadata"]["state"] == "interrupted" and len(data["verdicts"]) == 1


#: claims of three experiments; beta.2_* rather than beta.1_*, whose theory values take seconds of quadrature
RESUMABLE = ["run", "--only", "meanfield.thm4_1.*.vanilla,meanfield.beta.2_*,meanfield.dyn.width.vanilla", *TINY,
             "--set", "gaussian.matrices=20", "--set", "dynamics.networks=3", "--set", "dynamics.N=16",
             "--set", "dynamics.widths=8,16", "--set", "dynamics.rate_steps=1", "--set", "rounds=1", "--no-figures"]
# one look per claim, so the fourth judgement is the fourth claim's (test_api interrupts between two rounds)


def _without_timings(path) -> tuple[list[dict], dict]:
    data = json.loads(path.read_text())
    return [{k: v for k, v in verdict.items() if k != "seconds"} for verdict in data["verdicts"]], data["metadata"]


def test_an_interrupted_run_resumes_to_the_verdicts_of_an_uninterrupted_one(tmp_path, monkeypatch):
    original = Suite._judge
    judged = []

    def interrupt_fourth(self, *args):
        judged.append(1)
        if len(judged) == 4:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(Suite, "_judge", interrupt_fourth)
    assert atv(*RESUMABLE, "--out", str(tmp_path / "cut")).exit_code == 130
    monkeypatch.setattr(Suite, "_judge", original)
    cut, metadata = _without_timings(tmp_path / "cut" / "results.json")
    assert metadata["state"] == "interrupted" and len(cut) == 3
    refused = atv(*RESUMABLE, "--out", str(tmp_path / "cut"))  # a new run into that folder is refused ...
    assert refused.exit_code == 2 and "--resume" in refused.output
    assert atv("run", "--resume", str(tmp_path / "cut"), "--seed", "5").exit_code == 2  # ... and so is another seed
    resumed = atv("run", "--resume", str(tmp_path / "cut"))
    assert resumed.exit_code == 0, resumed.output
    assert "3 kept from the interrupted run" in resumed.output
    assert atv(*RESUMABLE, "--out", str(tmp_path / "whole")).exit_code == 0
    after, metadata = _without_timings(tmp_path / "cut" / "results.json")
    whole, _ = _without_timings(tmp_path / "whole" / "results.json")
    assert metadata["state"] == "complete" and len(metadata["resumed"]) == 1
    # the kept verdicts stand unchanged (an interrupted run lists them in the order they finished)
    assert all(verdict in after for verdict in cut) and after == whole and len(whole) == 28
    assert atv("run", "--resume", str(tmp_path / "cut")).exit_code == 2  # complete: nothing to resume


def test_a_second_run_into_the_same_folder_does_not_destroy_the_first(tmp_path):
    args = ["run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla", *TINY, "--out", str(tmp_path), "--no-figures"]
    assert atv(*args).exit_code == 0
    first = (tmp_path / "results.json").read_text()
    again = run_module(*args)
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "holds a complete run" in again.stderr
    assert (tmp_path / "results.json").read_text() == first
    replaced = atv(*args, "--overwrite", "--seed", "3")
    assert replaced.exit_code == 0 and (tmp_path / "results.json").read_text() != first


def test_piped_output_prints_one_line_per_claim_with_an_estimate(tmp_path, entry):
    done = entry("run", "--only", "meanfield.thm4_1.*.vanilla", *TINY, "--out", str(tmp_path), "--no-figures")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 21 and lines[0].startswith("[ 1/21] meanfield.thm4_1.")  # 16, and 5 limits
    assert all(" s (elapsed " in line and "jobs " in line for line in lines)
    metadata = json.loads((tmp_path / "results.json").read_text())["metadata"]
    assert metadata["threads"] >= 1 and metadata["request"]["only"] == ["meanfield.thm4_1.*.vanilla"]


def test_threads_are_set_and_recorded(tmp_path):
    done = atv("run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla", *TINY, "--out", str(tmp_path),
               "--threads", "1", "--no-figures")
    assert done.exit_code == 0 and "threads=1" in done.output
    assert json.loads((tmp_path / "results.json").read_text())["metadata"]["threads"] == 1


def test_version():
    done = run_module("--version")
    assert done.returncode == 0 and done.stdout.startswith("atv ")


def test_resume_refuses_a_corrupted_record_other_options_and_verdicts_outside_its_claims(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "results.json").write_text('{"metadata": [], "verdicts": 5}')
    done = run_module("run", "--resume", str(folder))
    assert done.returncode == 2 and "is not a valid results file" in done.stderr and "Traceback" not in done.stderr
    args = ["run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla", *TINY, "--out", str(folder), "--overwrite",
            "--no-figures"]
    assert atv(*args).exit_code == 0
    data = json.loads((folder / "results.json").read_text())
    data["metadata"]["state"] = "interrupted"
    data["metadata"]["request"]["only"] = ["meanfield.thm4_1.bias_variance.vanilla"]  # the kept verdict is not selected
    (folder / "results.json").write_text(json.dumps(data))
    for extra, fragment in ((["--out", str(tmp_path / "x")], "--out cannot be given"),
                            (["--overwrite"], "--overwrite cannot be given"),
                            ([], "no longer include")):
        done = run_module("run", "--resume", str(folder), *extra)
        assert done.returncode == 2 and fragment in done.stderr, done.stderr
    assert not (tmp_path / "x").exists()


def test_a_folder_another_run_is_writing_to_is_refused(tmp_path):
    import fcntl

    from verify.runs import LOCK

    tmp_path.joinpath(LOCK).touch()
    with open(tmp_path / LOCK) as held:  # as a live `atv run` holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        done = atv("run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla", *TINY, "--out", str(tmp_path))
        assert done.exit_code == 2 and "another atv run is writing" in done.output
    assert atv("run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla", *TINY, "--out", str(tmp_path),
               "--no-figures").exit_code == 0  # released: the run goes ahead
