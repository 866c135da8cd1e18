"""The results schema rejects malformed files."""
from __future__ import annotations

import copy

import jsonschema
import pytest

from verify.schema import ResultsWriter, validate

METADATA = {"versions": {}, "device": "cpu", "seed": 0, "profile": {}, "git_revision": None, "started": "t",
            "finished": None, "state": "running", "argv": [], "request": {}, "threads": 1}
CONFIG = {"config": {}, "status": "HOLDS", "comparison": "ratio", "statistic": 1.0, "ci_low": 0.9, "ci_high": 1.1,
          "tolerance": 0.1, "n_samples": 10, "units": 2, "measured": 1.0, "theory": 1.0}
VERDICT = {"claim_id": "x", "status": "HOLDS", "statistic": 1.0, "ci_low": 0.9, "ci_high": 1.1, "tolerance": 0.1,
           "n_samples": 10, "configs": [CONFIG], "seed": 0, "device": "cpu", "seconds": 0.1, "notes": "",
           "kind": "equality", "comparison": "ratio", "statement": "", "delta": 0.001}


def test_a_well_formed_file_validates(tmp_path):
    """While the run goes on the file is one line (json's C encoder), once it has ended indented; both are the
    same document."""
    import json

    path = tmp_path / "results.json"
    writer = ResultsWriter(tmp_path, copy.deepcopy(METADATA))
    writer.add(copy.deepcopy(VERDICT))
    running = path.read_text()
    assert running.count("\n") == 1 and json.loads(running)["verdicts"] == [VERDICT]
    writer.finish("complete", "t2")
    ended = path.read_text()
    assert ended.count("\n") > 10 and json.loads(ended)["verdicts"] == [VERDICT]
    assert json.loads(ended)["metadata"] == dict(json.loads(running)["metadata"], state="complete", finished="t2")


@pytest.mark.parametrize("path, bad", [
    (("status",), "PROBABLY"), (("n_samples",), 0), (("delta",), 1.5), (("configs",), []),
    (("configs", 0, "tolerance"), -0.1),
])
def test_malformed_verdicts_are_rejected(path, bad):
    verdict = copy.deepcopy(VERDICT)
    target = verdict
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        validate({"metadata": METADATA, "verdicts": [verdict]})


def test_missing_metadata_is_rejected():
    with pytest.raises(jsonschema.ValidationError):
        validate({"verdicts": []})


def test_a_failed_write_keeps_the_last_complete_file_and_stops_writing(tmp_path, monkeypatch):
    """Disk full mid-write: the temporary file is removed, results.json is the last complete write, and the
    writer neither writes again nor hides the failure."""
    from pathlib import Path

    from verify.schema import WriteError

    writer = ResultsWriter(tmp_path, copy.deepcopy(METADATA))
    writer.add(copy.deepcopy(VERDICT))
    whole = (tmp_path / "results.json").read_text()
    real = Path.write_text

    def full(self, text, *args, **kwargs):
        real(self, text[:10], *args, **kwargs)  # a partial write, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(WriteError, match="No space left on device.*last complete write, with 1 verdict"):
        writer.add(dict(copy.deepcopy(VERDICT), claim_id="y"))
    writer.finish("failed", "t2")  # does not write (nor raise) again
    monkeypatch.undo()
    assert (tmp_path / "results.json").read_text() == whole
    assert not (tmp_path / "results.json.tmp").exists()


def test_a_run_whose_folder_is_removed_ends_with_one_line_and_exit_74(tmp_path):
    """The output folder removed while a run writes it: one line naming the file, exit 74, no traceback."""
    import shutil

    from typer.testing import CliRunner

    from verify import api, cli

    out = tmp_path / "run"
    real = api.ResultsSink.add

    def add_then_remove(self, verdict):
        real(self, verdict)
        shutil.rmtree(out)

    args = ["run", "--only", "meanfield.thm4_1.jacobian_variance.vanilla,meanfield.thm4_1.bias_variance.vanilla",
            "--set", "networks=6", "--set", "N=16", "--set", "d=4", "--set", "K=3", "--set", "L=2",
            "--no-figures", "--workers", "1", "--out", str(out)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api.ResultsSink, "add", add_then_remove)
        result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == cli.WRITE_FAILED, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("atv: error:")]
    assert len(lines) == 1 and "could not write" in lines[0] and "Traceback" not in result.output


def test_the_writer_refuses_a_malformed_verdict_before_writing_it(tmp_path):
    """Each added verdict is checked on its own (the whole file only when it opens and ends): a malformed one is
    refused and the file keeps its last valid content."""
    writer = ResultsWriter(tmp_path, copy.deepcopy(METADATA))
    writer.add(copy.deepcopy(VERDICT))
    before = (tmp_path / "results.json").read_text()
    with pytest.raises(jsonschema.ValidationError):
        writer.add(dict(copy.deepcopy(VERDICT), claim_id="y", status="PROBABLY"))
    assert (tmp_path / "results.json").read_text() == before
