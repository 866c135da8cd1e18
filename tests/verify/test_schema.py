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
    writer = ResultsWriter(tmp_path, copy.deepcopy(METADATA))
    writer.add(copy.deepcopy(VERDICT))
    writer.finish("complete", "t2")
    assert (tmp_path / "results.json").exists()


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
