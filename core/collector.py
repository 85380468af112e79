"""When Python's cycle collector may walk a process's long-lived objects.

A full pass of the cycle collector walks every tracked object: with the app's modules, its screens and Optuna
imported that is 150,000-250,000 objects and 80-140 ms (twice that while training shares the cores), a pause that
lands on whatever key happens to be pressed; in a process that trains (a sweep worker, the TUI's training process,
`hptune run`) Keras and JAX are as many objects again, walked by every run's closing collection.
What is loaded to stay (modules, classes, the screens kept for the whole session, the runs the history read, Keras
and its backend once imported) is frozen out of the collector's way once it is loaded. Frozen objects are still
freed when their last reference goes (the runs of an earlier reading are, as the history reads them again); only a
cycle frozen as it became garbage would stay, so the young generations are collected just before each freeze.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_long_lived"]


def freeze_long_lived() -> None:
    """Everything tracked now stays for the session: keep it out of the collector's full passes. The young
    generations are collected first (cheap: only objects made since the last passes), so their garbage is not frozen."""
    gc.collect(1)
    gc.freeze()
