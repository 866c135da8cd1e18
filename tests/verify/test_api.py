"""The library API (``verify.run -> Results``): the CLI's results.json is the library's, a run without a folder
writes nothing, ``Results`` reads, saves and tabulates, and every refusal is the CLI's sentence before torch loads."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import verify
from verify import cli
from verify.api import Interrupted, Progress
from verify.results import COLUMNS, Results
from verify.runs import RunError
from verify.suite import Suite

#: a claim with a figure and two without, at sizes that take seconds
ONLY = "meanfield.thm4_1.jacobian_variance.vanilla,meanfield.beta.1_1.*"
TINY = {"networks": "12", "N": "24", "d": "4", "K": "4", "L": "2", "gaussian.matrices": "20"}
README = Path(__file__).resolve().parents[2] / "README.md"


def comparable(path: Path) -> dict:
    """results.json without what differs from run to run at the same seed: wall-clock times (and where they went)
    and the argv."""
    data = json.loads(Path(path).read_text())
    for key in ("started", "finished", "argv", "resumed", "timings"):
        data["metadata"].pop(key, None)
    for verdict in data["verdicts"]:
        verdict.pop("seconds")
    return data


class Recording(Progress):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self, started) -> None:
        self.calls.append(f"start {len(started.claims)} {started.path}")

    def verdict(self, verdict) -> None:
        self.calls.append(verdict.claim_id)

    def stop(self) -> None:
        self.calls.append("stop")


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "out"
    settings = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]
    done = CliRunner().invoke(cli.app, ["run", "--only", ONLY, *settings, "--seed", "3", "--threads", "1", "--out",
                                        str(folder)])
    assert done.exit_code == 0, done.output
    return folder


def test_the_cli_writes_the_results_json_of_the_library(cli_folder, tmp_path):
    progress, seen = Recording(), []
    results = verify.run(only=ONLY, overrides=TINY, seed=3, threads=1, out=tmp_path, progress=progress,
                         on_verdict=seen.append)
    assert comparable(tmp_path / "results.json") == comparable(cli_folder / "results.json")
    ids = [v.claim_id for v in results]
    assert ids == ["meanfield.thm4_1.jacobian_variance.vanilla", "meanfield.beta.1_1.chevet", "meanfield.beta.1_1.tail"]
    assert [v.claim_id for v in seen] == [call for call in progress.calls if call in ids]  # each as it came
    assert progress.calls[0] == f"start 3 {tmp_path / 'results.json'}" and progress.calls[-1] == "stop"
    assert results.path == tmp_path / "results.json" and results.metadata["state"] == "complete"
    assert set(results.figures) == {"meanfield.theorem4_1"} and (tmp_path / "width_convergence.png").exists()
    loaded = Results.load(tmp_path)
    assert [v.to_json() for v in loaded] == [v.to_json() for v in results]
    assert loaded.metadata == results.metadata and loaded["meanfield.beta.1_1.tail"] == results["meanfield.beta.1_1.tail"]
    assert sum(results.counts().values()) == len(results) == 3
    with pytest.raises(KeyError, match="no verdict on 'nosuch'"):
        results["nosuch"]


def test_the_readme_example_runs_writes_nothing_and_saves_what_it_returned(tmp_path, monkeypatch):
    pytest.importorskip("pandas", reason="the frame extra is not installed (pip install -e '.[frame]')")
    example = re.search(r"## Python API\n.*?```python\n(.*?)```", README.read_text(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(example, namespace)  # noqa: S102 - the README's own example, as a reader would run it
    results, frame = namespace["results"], namespace["frame"]
    assert not list(tmp_path.iterdir()) and results.path is None  # no folder given: nothing written
    assert list(frame.columns) == list(COLUMNS) and len(frame) == len(results) > 0
    for row, verdict in zip(frame.itertuples(), results):
        assert (row.claim_id, row.status, row.statistic, row.n_samples, row.provenance) == (
            verdict.claim_id, verdict.status.value, verdict.statistic, verdict.n_samples, verdict.provenance)
        assert row.ci_low <= row.statistic <= row.ci_high and row.band
    saved = results.save(tmp_path / "saved")
    data = json.loads(saved.read_text())
    assert data["verdicts"] == [v.to_json() for v in results] and data["metadata"] == results.metadata
    with pytest.raises(RunError, match="holds a complete run"):
        results.save(tmp_path / "saved")


def test_to_frame_names_the_extra_when_pandas_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=re.escape("pip install -e '.[frame]'")):
        Results([], {}).to_frame()


def test_an_interrupted_run_keeps_its_verdicts_and_resumes(tmp_path, monkeypatch):
    original, judged = Suite._judge, []

    def interrupt_second(self, *args):
        judged.append(1)
        if len(judged) == 2:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(Suite, "_judge", interrupt_second)
    with pytest.raises(Interrupted) as stop:
        verify.run(only="meanfield.beta.1_1.*", overrides={"gaussian.matrices": 20}, out=tmp_path, threads=1)
    kept = stop.value.results
    assert len(kept) == 1 and stop.value.selected == 2 and kept.metadata["state"] == "interrupted"
    assert Results.load(tmp_path).metadata["state"] == "interrupted"
    with pytest.raises(RunError, match="resume reruns with the run's own options; seed cannot be given"):
        verify.run(resume=tmp_path, seed=5)
    monkeypatch.setattr(Suite, "_judge", original)
    resumed = verify.run(resume=tmp_path, threads=1)
    assert [v.claim_id for v in resumed] == ["meanfield.beta.1_1.chevet", "meanfield.beta.1_1.tail"]
    assert resumed[kept.verdicts[0].claim_id].to_json() == kept.verdicts[0].to_json()
    assert len(resumed.metadata["resumed"]) == 1 and resumed.metadata["state"] == "complete"


def test_refusals_are_the_clis_sentences_before_torch_loads(tmp_path):
    """Each bad value raises a ValueError or LookupError whose message ``atv`` prints, and torch never loads."""
    (tmp_path / "results.json").write_text(json.dumps({"metadata": {"state": "complete"}, "verdicts": []}))
    script = f"""
import sys, verify
cases = [dict(only="nosuch"), dict(only=","), dict(only=[]), dict(profile="nope"), dict(executor="dask"),
         dict(seed=-1), dict(device="tpu"), dict(overrides={{"N": "abc"}}), dict(threads=0),
         dict(out={str(tmp_path)!r}), dict(resume={str(tmp_path / 'none')!r})]
for case in cases:
    try:
        verify.run(**case)
    except (ValueError, LookupError) as err:
        print(type(err).__name__, err.args[0])
print("torch loaded" if "torch" in sys.modules else "torch not loaded")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "torch not loaded" and len(lines) == 12, done.stdout
    for fragment in ("UnknownClaimError no claim matches 'nosuch'", "ValueError --only needs one or more",
                     "UnknownClaimError no claim pattern given", "ProfileError unknown profile 'nope'",
                     "ProfileError --executor must be local or ray", "N must be an integer",
                     "--device must be auto, cpu, cuda or cuda:<index>", "--threads must be between 1",
                     "holds a complete run", "no results.json there"):
        assert any(fragment in line for line in lines), (fragment, lines)


def test_an_interrupt_between_two_rounds_resumes_to_the_verdicts_of_an_undisturbed_run(tmp_path, monkeypatch):
    """Networks in rounds of 4, 8, 16: Ctrl-C as the claims' second look begins (their first round drawn and
    judged undecided, the second drawn); ``--resume`` redraws what the interrupted run had not finished and ends
    with the undisturbed run's verdicts, number for number."""
    only, overrides = "meanfield.thm4_1.jacobian_variance.*", {**TINY, "networks": 16, "rounds": 3}
    undisturbed = verify.run(only=only, overrides=overrides, threads=1)
    assert all(v.rounds["looks"] == 3 for v in undisturbed)
    original, looks = Suite._judge, []

    def interrupt_at_the_second_look(self, look, drawn):
        looks.append(look.look)
        if look.look == 1:
            raise KeyboardInterrupt
        return original(self, look, drawn)

    monkeypatch.setattr(Suite, "_judge", interrupt_at_the_second_look)
    with pytest.raises(Interrupted):
        verify.run(only=only, overrides=overrides, out=tmp_path, threads=1)
    assert looks[-1] == 1 and looks.count(0) >= 1
    monkeypatch.setattr(Suite, "_judge", original)
    resumed = verify.run(resume=tmp_path, threads=1)

    def numbers(results) -> list[dict]:
        return [{k: v for k, v in verdict.to_json().items() if k != "seconds"} for verdict in results]

    assert numbers(resumed) == numbers(undisturbed)
