"""Notes and tags on runs and studies.

Optuna refuses user attributes on a finished trial, so a run's note and tags are user attributes of its study
("hptune_note:ID", "hptune_tags:ID", one key each so two writers never overwrite each other's runs); a study's own
are "hptune_note" and "hptune_tags". Nothing else reads or writes these keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hptune.core.outcome import RunOutcome

NOTE_ATTR, TAGS_ATTR = "hptune_note", "hptune_tags"


@dataclass
class Annotations:
    """Notes and tags of runs (by run id) and of studies (by name)."""

    run_notes: dict[int, str] = field(default_factory=dict)
    run_tags: dict[int, list[str]] = field(default_factory=dict)
    study_notes: dict[str, str] = field(default_factory=dict)
    study_tags: dict[str, list[str]] = field(default_factory=dict)

    def tags_of(self, run: RunOutcome) -> list[str]:
        """A run's tags and those of its study (a tagged study tags its runs)."""
        own = self.run_tags.get(run.run_id, []) if run.run_id is not None else []
        return sorted(set(own) | set(self.study_tags.get(run.study or "", [])))


def read_annotations(studies: Any) -> Annotations:
    """Every note and tag, from the studies' user attributes (Optuna FrozenStudy objects)."""
    notes = Annotations()
    for frozen in studies:
        attrs = frozen.user_attrs
        notes.study_notes[frozen.study_name] = attrs.get(NOTE_ATTR) or ""
        notes.study_tags[frozen.study_name] = list(attrs.get(TAGS_ATTR) or [])
        for key, value in attrs.items():
            kind, _, run = key.partition(":")
            if run.isdigit() and kind == NOTE_ATTR:
                notes.run_notes[int(run)] = value or ""
            elif run.isdigit() and kind == TAGS_ATTR:
                notes.run_tags[int(run)] = list(value or [])
    return notes
