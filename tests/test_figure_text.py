"""A figure's stored text is its title (twice.plotting.figure_text), never its size or number of panels.

nbval compares the text form stored beside every plot. Matplotlib's own, ``<Figure size 420x220 with 3 Axes>``,
carried the number of misclassified digits of one machine into the committed outputs (issue: the book failed
its own tests on another CPU), so ``import twice`` replaces it in IPython by the title.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tasks

from twice.plotting import figure_text, plot_image_grid, use_figure_text
from twice_book.ipynb import code_cells, load, source, tags

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = tasks.notebooks()  # the chapter pairs and the exercise masters


def test_the_text_is_the_suptitle_whatever_the_number_of_panels() -> None:
    texts = set()
    for count in (1, 3, 16):
        figure = plot_image_grid(np.zeros((count, 8, 8)), title="Misclassified digits", labels=["x"] * count)
        texts.add(figure_text(figure))
        plt.close(figure)
    assert texts == {"<Figure: Misclassified digits>"}


def test_without_a_suptitle_the_axes_titles_are_the_text() -> None:
    figure, (left, right) = plt.subplots(1, 2)
    left.set_title("loss")
    right.set_title("accuracy")
    assert figure_text(figure) == "<Figure: loss | accuracy>"
    plt.close(figure)
    bare = plt.figure()
    assert figure_text(bare) == "<Figure>"
    plt.close(bare)


def test_in_ipython_a_figure_shows_its_title_as_text() -> None:
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell: Any = interactiveshell.InteractiveShell.instance()
    try:
        assert use_figure_text()
        figure, ax = plt.subplots(figsize=(3, 2))
        ax.set_title("A title")
        data, _ = shell.display_formatter.format(figure)
        plt.close(figure)
        assert data["text/plain"] == "<Figure: A title>"
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def test_outside_ipython_nothing_happens_and_ipython_is_not_imported() -> None:
    code = "import sys, twice; print(twice.plotting.use_figure_text(), 'IPython' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "chapters")))
def test_no_committed_output_holds_matplotlibs_own_figure_text(path: Path) -> None:
    for cell in code_cells(load(path)):
        for output in cell["outputs"]:
            text = "".join(output.get("data", {}).get("text/plain", ""))
            assert not text.startswith("<Figure size"), f"{path.name}: {text} (re-run the notebook)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "chapters")))
def test_no_cell_is_skipped_by_nbval(path: Path) -> None:
    """A skipped cell is a skipped test; the Colab cell runs too (off Colab it does nothing)."""
    for cell in code_cells(load(path)):
        assert "nbval-skip" not in tags(cell), source(cell)[:200]
        assert not source(cell).startswith("# NBVAL_SKIP")


def test_in_a_jupyter_kernel_with_the_inline_backend_too() -> None:
    """The inline backend drops printers registered for Figure when it loads, and again on %matplotlib."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(source)
        for source in (
            "import matplotlib.pyplot as plt\nimport twice\nfigure, ax = plt.subplots()\nax.set_title('One')\nplt.show()",
            "%matplotlib inline\nfigure, axes = plt.subplots(1, 3)\nfigure.suptitle('Two')\nplt.show()",
        )
    ]
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    texts = [o["data"]["text/plain"] for cell in notebook.cells for o in cell.outputs if "data" in o]
    assert texts == ["<Figure: One>", "<Figure: Two>"]
