"""The run filter's parser (never eval) and notes and tags, over the recorded runs and through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hptune.core.filters import FilterError, filter_records, parse_filter
from hptune.core.store import Annotations, Store
from tests.unit.test_cli import hptune

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    path = tmp_path / "runs.journal"
    shutil.copy(DATA / "runs.journal", path)
    return Store(str(path))


def ids(records) -> list[int]:
    return [r.run_id for r in records]


def test_comparisons_by_alias_match_the_fields_they_name(store: Store) -> None:
    runs = store.runs()
    assert ids(filter_records(runs, "lr<0.01")) == [r.run_id for r in runs if r.config.learning_rate < 0.01]
    assert ids(filter_records(runs, "lr<0.01 and val_acc>0.5")) == [
        r.run_id for r in runs if r.config.learning_rate < 0.01 and (r.val_accuracy or 0) > 0.5]
    assert ids(filter_records(runs, "test_acc>=0.9 or layers=10")) == [
        r.run_id for r in runs if (r.test_accuracy or 0) >= 0.9 or r.config.hidden_layers == 10]
    assert ids(filter_records(runs, "opt=sgd")) == [r.run_id for r in runs if r.config.optimizer == "sgd"]
    assert ids(filter_records(runs, "not (opt=sgd)")) == [r.run_id for r in runs if r.config.optimizer != "sgd"]
    assert ids(filter_records(runs, "status:diverged")) == [r.run_id for r in runs if r.status == "diverged"]
    assert ids(filter_records(runs, "study:runs")) == ids(runs)
    assert filter_records(runs, "study:other") == []
    assert filter_records(runs, "  ") == runs


def test_a_run_without_the_value_does_not_match(store: Store) -> None:
    runs = store.runs()
    diverged = [r.run_id for r in runs if r.status == "diverged"]
    assert diverged and not set(diverged) & set(ids(filter_records(runs, "test_acc<2")))
    assert not set(diverged) & set(ids(filter_records(runs, "test_acc>=0")))


@pytest.mark.parametrize(("text", "expected"), [
    ("val_ac>0.9", "unknown field 'val_ac' at column 1"),
    ("lr<0.01 and bogus=1", "unknown field 'bogus' at column 13"),
    ("lr<abc", "'abc' at column 4 is not a number"),
    ("lr 0.1", "expected <, <=, >, >=, = or != after 'lr', got '0.1' at column 4"),
    ("lr<", "expected a value after lr<, got the end"),
    ("(lr<0.1", "expected ) at the end to close the ( at column 1"),
    ("lr<0.1 val_acc>0.5", "unexpected 'val_acc' at column 8"),
    ("colour:red", "unknown 'colour:' at column 1"),
    ("lr<0.1 and", "ends too soon"),
    ("lr<0.1; import os", "unexpected ';' at column 7"),
    ("", "empty"),
])
def test_bad_expressions_name_the_token(text: str, expected: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text)
    assert expected in str(info.value) and str(info.value).startswith("filter: ")
    assert info.value.code == 2 and info.value.field == "filter"


def test_notes_and_tags_live_in_the_store_and_filter_runs(store: Store) -> None:
    store.set_tags(["baseline", " good ", "baseline"], run_id=0)
    store.set_note("the reference", run_id=0)
    store.set_tags(["tutorial"], study="runs")
    notes = Store(store.location).annotations()  # a second handle reads what the first wrote
    assert notes.run_tags == {0: ["baseline", "good"]} and notes.run_notes == {0: "the reference"}
    assert notes.study_tags == {"runs": ["tutorial"]}
    runs = store.runs()
    assert ids(filter_records(runs, "tag:baseline", notes)) == [0]
    assert ids(filter_records(runs, "tag:tutorial", notes)) == ids(runs)  # a tagged study tags its runs
    assert filter_records(runs, "tag:baseline", Annotations()) == []
    with pytest.raises(KeyError, match="no run with id 77"):
        store.set_note("x", run_id=77)
    with pytest.raises(KeyError, match="no study 'nope'"):
        store.set_tags(["x"], study="nope")


def test_note_tag_and_filter_commands(store: Store) -> None:
    path = Path(store.location)
    assert hptune("tag", "2", "deep", "tanh", store=path).returncode == 0
    done = hptune("note", "2", "ten layers of ten", store=path)
    assert done.returncode == 0 and "run 2: note saved" in done.stderr
    shown = hptune("note", "2", store=path).stdout
    assert shown == "note: ten layers of ten\ntags: deep, tanh\n"
    listed = hptune("runs", "--filter", "tag:deep and units<=10", "--format", "json", store=path)
    assert listed.returncode == 0 and [r["run_id"] for r in json.loads(listed.stdout)] == [2]
    assert "1 of 5 runs match" in listed.stderr
    bad = hptune("runs", "--filter", "lr<<1", store=path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("hptune: invalid input: filter: expected a value after lr<, got '<' at column 4")
    before = path.read_bytes()
    assert hptune("runs", "--filter", "tag:deep", store=path).returncode == 0
    assert path.read_bytes() == before  # filtering reads only
    tagged = hptune("run", "--dataset", "digits", "--epochs", "1", "--hidden-units", "8", "--tag", "quick",
                    "--tag", "tiny", "--json", store=path)
    assert tagged.returncode == 0, tagged.stderr
    run_id = json.loads(tagged.stdout.strip().splitlines()[-1])["run_id"]
    assert Store(str(path)).annotations().run_tags[run_id] == ["quick", "tiny"]
    assert hptune("tag", "x", store=path).returncode == 2
