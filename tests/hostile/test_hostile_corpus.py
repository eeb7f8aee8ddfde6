"""≥ 40 malformed or malicious submissions (tests/hostile/corpus.py), each through the REAL ingest_file into a
warehouse that already holds one accepted return: documented outcome, no traceback, < 5 s, < 300 MB peak-RSS
growth of the ingesting process and < 300 MB peak RSS of the process that reads the file, and for rejected files the warehouse unchanged except the receipt (raw.submissions + raw.rule_hits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile.corpus import BASE_PERIOD, CASES, RECEIVED, ReturnBuilder
from liangxin.ingest import ingest_file
from liangxin.settings import Settings

HERE = Path(__file__).resolve().parent
LIANGXIN = Path(sys.executable).parent / "liangxin"
SECRET = "hostile-corpus-secret"
DATA_TABLES = (
    "raw.organizations",
    "raw.party_orgs",
    "raw.member_flows",
    "raw.trainings",
    "raw.attendance",
    "raw.mobile_members",
)
MAX_RSS_MB = 300.0
MAX_READER_RSS_MB = 300.0  # the whole reading process (a fresh Python with the reader imported: ~90 MB)


def env() -> dict:
    e = dict(os.environ, LIANGXIN_HMAC_SECRET=SECRET, PYTHONPATH=str(HERE.parent))
    e.pop("LIANGXIN_ENV", None)
    return e


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    # the base warehouse must be keyed with the runner's secret (another module may have set a different one
    # at import time, and a warehouse refuses a second secret): given explicitly to this ingest's settings
    work = tmp_path_factory.mktemp("hostile")
    base = work / "base"
    base_file = ReturnBuilder(BASE_PERIOD).to_xlsx(work / "base.xlsx")
    o = ingest_file(
        base_file,
        settings=Settings.from_env(hmac_secret=SECRET),
        db_path=base / "build.duckdb",
        archive_dir=base / "archive",
        outbox_dir=base / "outbox",
        received_at=RECEIVED,
    )
    assert o.outcome in ("accepted", "accepted_with_warnings"), o
    manifest = {}
    for c in CASES:
        folder = work / "files" / c.name
        folder.mkdir(parents=True)
        path = folder / c.filename
        if c.make is None:  # the byte-identical resubmission of the base file
            path.write_bytes(base_file.read_bytes())
        else:
            c.make(path)
        for stray in folder.iterdir():
            if stray != path:
                stray.unlink()
        manifest[c.name] = c.filename
    (work / "manifest.json").write_text(json.dumps({"cases": manifest}, ensure_ascii=False))
    proc = subprocess.run(
        [sys.executable, str(HERE / "run_corpus.py"), str(work)], env=env(), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    out["work"] = work
    return out


def test_corpus_has_at_least_40_cases():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


KNOWN_BUGS: dict[str, str] = {}  # name -> reason, for a case that documents an open bug (strict xfail)


def _params():
    for c in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[c.name])] if c.name in KNOWN_BUGS else []
        yield pytest.param(c, id=c.name, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_hostile_input(corpus_run, case):
    r = corpus_run["results"][case.name]
    exp = case.expect
    assert r["exception"] is None, r["exception"]
    assert r["internal_error"] is None and r["outcome"] != "failed", r
    assert not any("Traceback" in line or "unexpected error" in line for line in r["logs"]), r["logs"]
    assert r["rss_growth_mb"] < MAX_RSS_MB, r["rss_growth_mb"]
    assert r["reader_rss_mb"] < MAX_READER_RSS_MB, r["reader_rss_mb"]
    d = r["diff"]
    assert not any(v["removed"] for v in d.values()), "raw is append-only"
    rules = r["rule_counts"]
    if exp.outcome == "duplicate":
        assert r["outcome"] == "duplicate", r
        assert d == {}, "a duplicate writes nothing"
    elif exp.outcome == "rejected":
        assert r["outcome"] == "rejected", (r["outcome"], rules)
        assert rules.get(f"{exp.rule}/E", 0) >= 1, rules
        if exp.word:
            msgs = [m for m in _messages(r) if m.startswith(f"[{exp.rule}]")]
            assert any(exp.word in m for m in msgs), msgs
        assert set(d) <= {"raw.submissions", "raw.rule_hits"}, f"data tables changed: {sorted(d)}"
        assert len(d["raw.submissions"]["added"]) == 1 and r["sha256"] in d["raw.submissions"]["added"][0]
        hits = d.get("raw.rule_hits", {"added": []})["added"]
        assert len(hits) == sum(rules.values()) and all(r["sha256"] in h for h in hits)
    else:
        assert r["outcome"] in ("accepted", "accepted_with_warnings"), rules
        assert not any(k.endswith("/E") for k in rules), rules
        for w in exp.warnings:
            assert rules.get(f"{w}/W", 0) >= 1, rules
        assert r["unit_code"] == exp.unit
        assert len(d["raw.submissions"]["added"]) == 1
        for t in DATA_TABLES:  # every loaded row carries this submission's lineage
            added = d.get(t, {"added": []})["added"]
            assert len(added) == r["rows"].get(t.split(".")[1], 0)
            assert all(r["sha256"] in row for row in added)
        assert sum(r["rows"].values()) > 0


def _messages(r) -> list[str]:
    """Messages of the rule hits this file added to raw.rule_hits (as stored, personal data masked)."""
    return [_msg(h) for h in r["diff"].get("raw.rule_hits", {}).get("added", [])]


def _msg(row_repr: str) -> str:
    import ast

    row = ast.literal_eval(row_repr)
    return row[7]  # rule_hits column order: submission_id, rule_id, severity, sheet, row, column, value, message


def test_rejected_files_leave_only_their_receipt_and_reports(corpus_run):
    rejected = [n for n, r in corpus_run["results"].items() if r["outcome"] == "rejected"]
    assert len(rejected) >= 30
    for n in rejected:
        reports = corpus_run["results"][n]["reports"]
        assert reports and all(Path(p).exists() for p in reports), n


def test_cli_ingest_of_hostile_sample_exits_0_without_traceback(corpus_run, tmp_path):
    """The submitter-facing CLI on a folder of hostile files: every file gets an outcome, exit code 0."""
    work = corpus_run["work"]
    sample = [
        "renamed_pdf",
        "encrypted_ole2",
        "xlsm_macros",
        "billion_laughs",
        "declared_4gb_member",
        "oversized_21mb_sparse",
        "million_rows_claimed_with_cell",
        "gbk_with_utf8_bom",
        "error_cell_ref",
        "int_10e20_text",
        "merged_header_cells",
        "clean_xlsx",
    ]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, name in enumerate(sample):
        src = next((work / "files" / name).iterdir())
        (inbox / f"{i:02d}_{name}{src.suffix}").symlink_to(src)
    e = env() | {"LIANGXIN_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    proc = subprocess.run(
        [str(LIANGXIN), "ingest", str(inbox), "--no-progress"],
        env=e,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "内部错误" not in output, output[-3000:]
    assert "退回" in output and "合计" in output
