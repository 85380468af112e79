"""The fitting rule (core/fit.py) and the labels that tell runs apart (core/labels.py)."""

from __future__ import annotations

import pytest

from hptune.core.config import make_config
from hptune.core.events import EpochMetrics
from hptune.core.fit import Column, fit_cell, fit_widths, is_number, shorten_middle, text_table, wrap_parts
from hptune.core.labels import changes_label, config_label, distinct_labels, epoch_parts


@pytest.mark.parametrize("text", ["0.9310", "0.2909", "3/30", "2.5s", "1e-05", "-", "12%"])
def test_a_number_is_never_cut(text: str) -> None:
    assert is_number(text)
    assert fit_cell(text, 3) == text


@pytest.mark.parametrize("text", ["completed", "2x100", "fashion-mnist", "sweep-20261127-091751"])
def test_text_is_not_a_number(text: str) -> None:
    assert not is_number(text)


def test_text_shortens_at_its_end_with_an_ellipsis() -> None:
    assert fit_cell("train for more epochs", 10) == "train for…"
    assert fit_cell("short", 10) == "short"


def test_a_path_shortens_in_the_middle_keeping_its_last_part() -> None:
    path = "/home/me/datasets/fashion-mnist"
    fitted = fit_cell(path, 24, "path")
    assert len(fitted) == 24 and fitted.startswith("/home") and fitted.endswith("/fashion-mnist") and "…" in fitted
    name = shorten_middle("sweep-20261127-091751", 12)
    assert len(name) == 12 and name.startswith("sweep") and name.endswith("091751")


def test_parts_wrap_between_parts_never_inside_one() -> None:
    parts = ["Epoch 1/3", "0.26s", "loss: 1.8694", "acc: 0.4977", "val_loss: 1.2770", "val_acc: 0.1499"]
    for width in (20, 40, 60, 76):
        lines = wrap_parts(parts, width)
        assert all(len(line) <= width for line in lines)
        assert "  ".join(line.strip() for line in lines) == "  ".join(parts)
        assert any("val_acc: 0.1499" in line for line in lines)
    assert wrap_parts(parts, 200) == ["  ".join(parts)]


def test_number_columns_keep_their_width_and_text_gives_way() -> None:
    columns = [Column(6, "number"), Column(30, "text"), Column(24, "path"), Column(7, "number")]
    widths = fit_widths(columns, 50)
    assert widths[0] == 6 and widths[3] == 7
    assert sum(widths) + 2 * 3 <= 50
    assert fit_widths(columns, 200) == [6, 30, 24, 7]
    assert fit_widths([Column(40, "number"), Column(40, "number")], 20) == [40, 40]  # scrolls; not cut


def test_text_table_columns_take_the_room_they_need_and_align() -> None:
    rows = [["0", "sweep-20261127-091751", "0.9460"], ["12", "runs", "-"]]
    lines = text_table(["id", "study", "val"], rows, last_free=False)
    assert "sweep-20261127-091751" in lines[1]
    assert len({len(line) for line in lines}) == 1  # the numbers end at the same edge
    assert lines[0].index("study") == lines[1].index("sweep") == lines[2].index("runs")


def test_the_epoch_parts_carry_whole_numbers() -> None:
    m = EpochMetrics(epoch=1, loss=1.8694, accuracy=0.4977, val_loss=1.277, val_accuracy=0.1499, seconds=0.26)
    assert epoch_parts(m, 3)[-1] == "val_acc: 0.1499"


def test_two_runs_differing_only_in_normalize_are_told_apart() -> None:
    a = make_config({"dataset": "mnist-5k", "epochs": 8})
    b = make_config({"dataset": "mnist-5k", "epochs": 8, "normalize": False})
    assert distinct_labels([a, b]) == ["normalized", "raw pixels"]
    assert distinct_labels([a]) == [config_label(a)]
    assert changes_label(b, leave_out=("epochs", "dataset")) == "raw pixels"
    assert changes_label(a, leave_out=("epochs", "dataset")) == ""


def test_swept_fields_show_even_at_their_defaults() -> None:
    a = make_config({"dataset": "mnist-5k"})
    assert "normalized" not in config_label(a)
    assert config_label(a, also=["normalize"]).endswith("normalized")


def test_runs_table_keeps_whole_study_names_and_says_raw_or_scaled(tmp_path) -> None:
    import shutil
    from pathlib import Path

    from hptune.core.cli.output import runs_table
    from hptune.core.store import Store

    data = Path(__file__).resolve().parents[1] / "data"
    shutil.copy(data / "sweep.journal", tmp_path / "sweep.journal")
    shutil.copy(data / "runs.journal", tmp_path / "runs.journal")
    sweep = runs_table(Store(str(tmp_path / "sweep.journal")).runs()).splitlines()
    assert all(" digits-search " in line for line in sweep[1:])  # pasteable into --study
    runs = runs_table(Store(str(tmp_path / "runs.journal")).runs()).splitlines()
    assert runs[0].split()[:10] == ["id", "study", "status", "val_acc", "test", "ep", "time", "dataset", "pixels",
                                    "config"]
    pixels = runs[0].index("pixels")
    assert [line[pixels:pixels + 3] for line in runs[1:3]] == ["0-1", "raw"]
    val_end = runs[0].index("val_acc") + len("val_acc")
    assert all(line[val_end - 1] != " " for line in runs)  # right-aligned under their heading
