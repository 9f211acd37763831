"""Precision and recall of ``generator check`` on the real sample tree, against verdicts read
by hand (tests/validate/precision/devportal-sample.yml): no error that is not a defect, every defect
reported, at the severity it deserves, every warning read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, require_shared, run_cli

VERDICTS = Path(__file__).parent / "precision" / "devportal-sample.yml"


@pytest.fixture(scope="module")
def verdicts() -> list[dict]:
    return yaml.safe_load(VERDICTS.read_text(encoding="utf-8"))["findings"]


@pytest.fixture(scope="module")
def report() -> dict:
    corpus = require_shared(CORPUS)
    # as a new user would: the tree, and its archive named explicitly
    result = run_cli("check", "--format", "json", "--jekyll", ".", ".", "_archive", cwd=corpus)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def _key(finding: dict) -> tuple[str, int, str]:
    return finding["path"], finding["line"], finding["code"]


def test_every_error_is_a_verified_defect(report, verdicts) -> None:
    defects = {
        _key(v) for v in verdicts if v["verdict"] == "defect" and v.get("severity") == "error"
    }
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    false = [d for d in errors if _key(d) not in defects]
    assert not false, json.dumps(false, indent=1)
    assert report["summary"]["errors"] == len(errors)


def test_every_verified_defect_is_reported_at_its_severity(report, verdicts) -> None:
    found = {_key(d): d["severity"] for d in report["diagnostics"]}
    missed = [
        v for v in verdicts if v["verdict"] == "defect" and found.get(_key(v)) != v["severity"]
    ]
    assert not missed, missed


def test_every_warning_was_read_and_findings_that_were_wrong_stay_away(report, verdicts) -> None:
    read = {_key(v): v for v in verdicts}
    for diagnostic in report["diagnostics"]:
        if diagnostic["severity"] != "warning":
            continue
        verdict = read.get(_key(diagnostic))
        assert verdict is not None, f"warning not read by hand: {diagnostic}"
        assert verdict.get("severity") == "warning", (diagnostic, verdict)
    reported = {_key(d) for d in report["diagnostics"]}
    gone = [v for v in verdicts if v["verdict"] == "not-a-defect" and "severity" not in v]
    assert not [v for v in gone if _key(v) in reported]


def test_a_partial_problem_is_one_report_listing_its_pages(report) -> None:
    secrets = [
        d for d in report["diagnostics"] if d["path"] == "_includes/ceql-ref.md" and d["line"] == 69
    ]
    assert len(secrets) == 1
    assert len(secrets[0]["pages"]) == 6  # the five element ceql pages and the archived one
    assert "docs/elements/box/ceql.md" in secrets[0]["pages"]


def test_precision_and_recall_of_errors_in_the_verdicts(verdicts) -> None:
    """The figures the closing note quotes, from the verdicts' `was` column (before) and
    the checks above (after: every error a defect, every defect reported)."""
    error_defects = [
        v for v in verdicts if v["verdict"] == "defect" and v.get("severity") == "error"
    ]
    before = [v for v in verdicts if v.get("was") == "error"]
    true_before = [v for v in before if v in error_defects]
    assert (len(before), len(true_before), len(error_defects)) == (18, 15, 22)
