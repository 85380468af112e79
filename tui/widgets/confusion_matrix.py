"""A confusion matrix: rows are true labels, columns predicted; the diagonal is right, the rest are mistakes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

__all__ = ["ConfusionMatrix"]


class ConfusionMatrix(Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self.border_title = "Confusion: rows true, cols predicted"
        self.table: Table | None = None

    def show(self, confusion: Sequence[Sequence[int]] | None) -> None:
        if not confusion:
            self.update("[dim]No test predictions for this run (it ended before testing).[/]")
            return
        good = self.app.get_css_variables().get("success", "green")
        bad = self.app.get_css_variables().get("error", "red")
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        table.add_column("t\\p", justify="right", style="bold")
        for col in range(len(confusion)):
            table.add_column(str(col), justify="right")
        worst = max((v for i, row in enumerate(confusion) for j, v in enumerate(row) if i != j), default=0)
        for i, row in enumerate(confusion):
            cells = []
            for j, value in enumerate(row):
                if i == j:
                    cells.append(Text(str(value), style=f"bold {good}"))
                elif value:
                    cells.append(Text(str(value), style=f"bold {bad}" if value == worst else bad))
                else:
                    cells.append(Text("·", style="dim"))
            table.add_row(str(i), *cells)
        self.table = table
        self.update(table)
