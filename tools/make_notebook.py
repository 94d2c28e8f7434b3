"""Write a report notebook from a compact cell list, so notebooks stay thin and reviewable.

Usage (from a notebook's builder script): build("notebooks/x.ipynb", [("md", "..."), ("params", "..."), ("code", "...")])
"""

from __future__ import annotations

from pathlib import Path

import nbformat


def build(path: str, cells: list[tuple[str, str]]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(cells):
        source = source.strip("\n")
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
        cell.id = f"cell-{i}"
        nb.cells.append(cell)
    nbformat.write(nb, Path(__file__).resolve().parents[1] / path)
