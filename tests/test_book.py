"""The book's shape: chapter pairs that mirror each other, executed notebooks, one repository address,
and a strict build; and twice_book.ipynb, which the tests and tasks.py read notebooks with. (nbval
re-executes the notebooks themselves; see conftest.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tasks
import yaml

from twice_book import ipynb
from twice_book.ipynb import code_cells, headings, load, repository_of, source, tags

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir() and not p.name.startswith("."))
NOTEBOOKS = sorted(ROOT.glob("chapters/*/*.ipynb"))


def test_there_is_at_least_one_chapter() -> None:
    assert CHAPTERS, "chapters/ holds no chapter"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_overview_and_both_notebooks(chapter: Path) -> None:
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", chapter.name), f"{chapter.name}: expected NN_topic"
    for name in ("index.md", "tensorflow.ipynb", "pytorch.ipynb"):
        assert (chapter / name).is_file(), f"{chapter.name} lacks {name}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_notebook_headings_mirror_each_other(chapter: Path) -> None:
    tf_headings = headings(load(chapter / "tensorflow.ipynb"))
    pt_headings = headings(load(chapter / "pytorch.ipynb"))
    # The titles name their framework; every other heading must be identical and in the same order.
    assert tf_headings[0][0] == pt_headings[0][0] == 1
    assert "TensorFlow" in tf_headings[0][1] and "PyTorch" in pt_headings[0][1]
    assert tf_headings[1:] == pt_headings[1:]
    titles = [text for _, text in tf_headings]
    for required in ("Setup", "Summary", "Exercises"):
        assert required in titles, f"{chapter.name}: no '{required}' section"
    assert any(t.startswith("Parity") for t in titles), f"{chapter.name}: no parity section"


def test_mirror_check_can_fail() -> None:
    a = {"cells": [{"cell_type": "markdown", "source": ["# T\n", "## Setup\n", "```\n# not a heading\n```"]}]}
    b = {"cells": [{"cell_type": "markdown", "source": ["# T\n", "## Set up\n"]}]}
    assert headings(a) == [(1, "T"), (2, "Setup")]
    assert headings(a) != headings(b)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_committed_executed_in_order_without_errors(path: Path) -> None:
    notebook = load(path)
    cells = code_cells(notebook)
    counts = [c["execution_count"] for c in cells]
    assert None not in counts, f"{path.name}: cells never executed: nbval could not compare them"
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: re-run the notebook top to bottom"
    for cell in cells:
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert not errors or "raises-exception" in tags(cell), f"{path.name}: a cell stored an error"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_volatile_cell_is_followed_by_an_assertion(path: Path) -> None:
    cells = code_cells(load(path))
    for index, cell in enumerate(cells):
        if "nbval-ignore-output" in tags(cell) or source(cell).startswith("# NBVAL_IGNORE_OUTPUT"):
            following = source(cells[index + 1]) if index + 1 < len(cells) else ""
            assert re.search(r"^\s*(assert |np\.testing\.assert)", following, re.MULTILINE), (
                f"{path.name}: the volatile cell {index} is not followed by a cell that asserts its claim:\n"
                + source(cell)[:200]
            )


def repository_url() -> str:
    url: str = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    return url


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_colab_cell_installs_the_helper_from_the_configured_repository(path: Path) -> None:
    notebook = load(path)
    first = code_cells(notebook)[0]
    assert ipynb.is_colab_cell(first), "the first code cell must be the Colab cell"
    assert "remove-cell" in tags(first), "the Colab cell must be hidden in the book"
    # nbval runs it like any other cell (off Colab it does nothing): a skipped cell would be a skipped test.
    assert "nbval-skip" not in tags(first)
    assert repository_of(notebook) == repository_url(), "run: python3 tasks.py set-repository URL"
    assert '"google.colab" in sys.modules' in source(first)


def test_config_renders_committed_outputs_and_has_launch_buttons() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"  # quoted in YAML: a bare off would be False
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["launch_buttons"]["binderhub_url"]
    assert config["repository"]["branch"] == "main"


def test_toc_lists_every_chapter_page() -> None:
    toc = (ROOT / "_toc.yml").read_text()
    for chapter in CHAPTERS:
        for page in ("index", "tensorflow", "pytorch", "side_by_side"):
            assert f"file: chapters/{chapter.name}/{page}\n" in toc, f"_toc.yml misses {chapter.name}/{page}"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 tasks.py test"
    assert f"\n{command}\n" in readme
    assert re.search(rf"^(exec )?{re.escape(command)}$", ci, re.MULTILINE)


def test_set_repository_rewrites_config_and_notebooks(tmp_path: Path) -> None:
    copy = tmp_path / "book"
    (copy / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / "tasks.py", copy)
    shutil.copy(ROOT / "_config.yml", copy)
    shutil.copytree(ROOT / "src" / "twice_book", copy / "src" / "twice_book")  # what tasks.py imports
    shutil.copytree(CHAPTERS[0], copy / "chapters" / CHAPTERS[0].name)
    chapters = copy / "chapters"
    rewritten = sorted(chapters.glob("*/*.ipynb")) + sorted(chapters.glob("*/exercises/*.ipynb"))
    assert len(rewritten) > 2, "expected the chapter's notebooks and its exercise masters"
    before = {path: path.read_text(encoding="utf-8") for path in rewritten}
    url = "https://github.com/someone/fork-of-the-book"
    # -S: the standard library alone, as on a machine where nothing is installed yet.
    result = subprocess.run(
        [sys.executable, "-S", "tasks.py", "set-repository", url], cwd=copy, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((copy / "_config.yml").read_text())["repository"]["url"] == url
    for path in rewritten:
        notebook = load(path)
        assert ipynb.is_colab_cell(code_cells(notebook)[0]) and repository_of(notebook) == url, path.name
        # Only the REPOSITORY lines changed: the file is written back as Jupyter writes it.
        old, new = before[path].splitlines(), path.read_text(encoding="utf-8").splitlines()
        assert len(old) == len(new), path.name
        assert all(url in b for a, b in zip(old, new) if a != b), path.name
    bad = subprocess.run(
        [sys.executable, "-S", "tasks.py", "set-repository", "not a url"],
        cwd=copy,
        capture_output=True,
        check=False,
    )
    assert bad.returncode != 0 and b"https://github.com/<owner>/<repo>" in bad.stderr


@pytest.mark.book
def test_strict_book_build(strict_book: Path) -> None:
    """The whole book builds with warnings as errors and missing references as warnings (-W -n)."""
    html = strict_book
    assert (html / "index.html").is_file()
    for chapter in CHAPTERS:
        for page in ("index", "tensorflow", "pytorch", "side_by_side"):
            assert (html / "chapters" / chapter.name / f"{page}.html").is_file()
    page = (html / "chapters" / CHAPTERS[0].name / "tensorflow.html").read_text()
    assert "colab.research.google.com" in page, "the Colab launch button is missing"
    assert "REPOSITORY =" not in page, "the Colab install cell should be removed from the book"


def _tasks(*args: str) -> subprocess.CompletedProcess[str]:
    # -S: no site-packages, so tasks.py must get by with the standard library, as on a fresh machine.
    return subprocess.run(
        [sys.executable, "-S", str(ROOT / "tasks.py"), *args], capture_output=True, text=True, check=False
    )


def test_tasks_has_help_for_every_command_with_the_standard_library_alone() -> None:
    overview = _tasks("--help")
    assert overview.returncode == 0, overview.stderr
    commands = ("build", "test", "execute", "lab", "set-repository", "exercises", "grade", "figures")
    for command in commands:
        assert command in overview.stdout
        detail = _tasks(command, "--help")
        assert detail.returncode == 0 and f"usage: tasks.py {command}" in detail.stdout, detail.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("tset",), "invalid choice: 'tset'"),
        (("test", "--quick", "--", "-k", "x"), "--quick runs no nbval"),
        (
            ("build", "--", "-k", "x"),
            "only `test` (to pytest) and `lab` (to jupyter lab) pass arguments after --",
        ),
        (("grade", "autograder.zip"), "the following arguments are required: SUBMISSION"),
    ],
)
def test_tasks_rejects_a_wrong_command_line_before_installing_anything(
    args: tuple[str, ...], message: str
) -> None:
    result = _tasks(*args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


# --- twice_book.ipynb: how the tests and tasks.py read notebooks ---------------------------------------------


def _cell(cell_type: str, text: str | list[str], cell_tags: list[str] | None = None) -> ipynb.Cell:
    metadata = {"tags": cell_tags} if cell_tags is not None else {}
    return {"cell_type": cell_type, "metadata": metadata, "source": text}


COLAB_CELL = ["import sys\n", 'REPOSITORY = "https://github.com/o/r"\n', "print(REPOSITORY)"]


def test_source_is_one_string_whether_stored_as_lines_or_as_a_string() -> None:
    assert source(_cell("code", ["a = 1\n", "b = 2"])) == "a = 1\nb = 2"
    assert source(_cell("code", "a = 1\nb = 2")) == "a = 1\nb = 2"
    assert source({"cell_type": "code"}) == ""


def test_tags_are_the_cells_tags_in_order_as_a_new_list() -> None:
    cell = _cell("code", "", ["remove-cell", "nbval-ignore-output"])
    assert tags(cell) == ["remove-cell", "nbval-ignore-output"]
    tags(cell).append("changed")
    assert cell["metadata"]["tags"] == ["remove-cell", "nbval-ignore-output"]  # the cell is not touched
    assert tags(_cell("code", "")) == [] and tags({"cell_type": "code"}) == []


def test_code_cells_are_the_code_cells_that_hold_code() -> None:
    code = _cell("code", "x = 1")
    notebook = {"cells": [_cell("markdown", "x = 1"), code, _cell("code", " \n\t"), _cell("raw", "# END")]}
    assert code_cells(notebook) == [code]


def test_headings_have_their_level_and_skip_what_is_not_a_heading() -> None:
    text = "# One \n###### Six\n####### seven\n#hashtag\n~~~\n## fenced\n~~~\n  ## indented"
    assert headings({"cells": [_cell("markdown", text), _cell("code", "# a comment")]}) == [
        (1, "One"),
        (6, "Six"),
    ]


def test_save_writes_as_jupyter_does_and_load_reads_it_back(tmp_path: Path) -> None:
    notebook = {"cells": [_cell("markdown", ["# Tensors, twice — ✓\n"])], "metadata": {}, "nbformat": 4}
    path = tmp_path / "notebook.ipynb"
    ipynb.save(notebook, path)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    assert "✓" in text and text.startswith('{\n "cells": [\n  {\n')  # UTF-8 as it is, one-space indents
    assert load(path) == notebook and load(str(path)) == notebook


@pytest.mark.parametrize("path", tasks.notebooks(), ids=lambda p: str(p.relative_to(ROOT / "chapters")))
def test_saving_a_committed_notebook_unchanged_rewrites_it_byte_for_byte(path: Path, tmp_path: Path) -> None:
    # So that `tasks.py set-repository` changes the REPOSITORY lines and nothing else.
    ipynb.save(load(path), tmp_path / path.name)
    assert (tmp_path / path.name).read_bytes() == path.read_bytes()


def test_the_repository_is_read_from_the_colab_cell() -> None:
    colab = _cell("code", COLAB_CELL)
    notebook = {"cells": [_cell("markdown", 'REPOSITORY = "https://github.com/not/this"'), colab]}
    assert repository_of(notebook) == "https://github.com/o/r"
    assert ipynb.is_colab_cell(colab) and not ipynb.is_colab_cell(notebook["cells"][0])


@pytest.mark.parametrize(
    "text", ['  REPOSITORY = "https://github.com/o/r"', 'MY_REPOSITORY = "https://github.com/o/r"', "x = 1"]
)
def test_a_notebook_without_the_repository_line_has_no_repository(text: str) -> None:
    assert not ipynb.is_colab_cell(_cell("code", text))
    with pytest.raises(
        ValueError, match=r'^the notebook has no Colab cell with a line REPOSITORY = "\.\.\."$'
    ):
        repository_of({"cells": [_cell("code", text)]})


def test_set_repository_rewrites_the_repository_line_and_nothing_else() -> None:
    colab, other = _cell("code", list(COLAB_CELL)), _cell("code", "print('REPOSITORY')")
    notebook = {"cells": [_cell("markdown", "# Title"), colab, other]}
    assert ipynb.set_repository(notebook, "https://github.com/fork/book") is True
    assert colab["source"] == [
        "import sys\n",
        'REPOSITORY = "https://github.com/fork/book"\n',
        "print(REPOSITORY)",
    ]
    assert (
        other["source"] == "print('REPOSITORY')" and repository_of(notebook) == "https://github.com/fork/book"
    )
    assert ipynb.set_repository({"cells": [other]}, "https://github.com/fork/book") is False


# Paths of a machine: the kernel's temporary files, home folders, environments, this checkout.
MACHINE_PATH = re.compile(r"/tmp/ipykernel|/home/\w|/root/|/Users/\w|site-packages|\.venv/|/work/")


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("chapters/**/*.ipynb")), ids=lambda p: str(p.relative_to(ROOT / "chapters"))
)
def test_committed_outputs_carry_no_log_noise_and_no_machine_paths(path: Path) -> None:
    """What the ".ipynb" download and Colab show before a cell runs: no stderr, nothing of the author's machine."""
    for number, cell in enumerate(load(path)["cells"]):
        for output in cell.get("outputs", []):
            assert not (output.get("output_type") == "stream" and output.get("name") == "stderr"), (
                f"cell {number} has stderr output: {''.join(output['text'])[:300]!r}"
            )
            found = MACHINE_PATH.search(json.dumps(output))
            assert not found, f"cell {number}: a path of the machine in its output: {found.group(0)!r}"


def test_framework_log_lines_are_dropped_and_nothing_else() -> None:
    log = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796220815.492576    2467 port.cc:153] oneDNN custom operations are on.\n"
    )
    notebook: ipynb.Notebook = {
        "cells": [
            {"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stderr", "text": [log]}]},
            {
                "cell_type": "code",
                "outputs": [{"output_type": "stream", "name": "stderr", "text": log + "real\n"}],
            },
            {"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stdout", "text": log}]},
            {"cell_type": "markdown", "source": "I0000 00:00:1.0 1 a.cc:1] not an output"},
        ]
    }
    assert ipynb.drop_framework_logs(notebook) == 4
    cells = notebook["cells"]
    assert cells[0]["outputs"] == [] and cells[1]["outputs"][0]["text"] == ["real\n"]
    assert cells[2]["outputs"][0]["text"] == log and "outputs" not in cells[3]


# The widest line a code or output block shows without sideways scrolling at 1366 px: the column is 741 px
# (tests/test_browser.py measures it), and 14 px DejaVu Sans Mono is 8.43 px a character, so 85 fit; 80 leaves
# room for a wider monospace font.
LINE_LIMIT = 80


def _long_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > LINE_LIMIT]


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("chapters/**/*.ipynb")), ids=lambda p: str(p.relative_to(ROOT / "chapters"))
)
def test_code_and_output_lines_fit_the_column(path: Path) -> None:
    """Every line of a rendered code cell and of its text output is at most LINE_LIMIT characters.

    The Colab install cell is not rendered (tag remove-cell) and is exempt."""
    too_long = []
    for number, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code" or "remove-cell" in tags(cell):
            continue
        too_long += [f"cell {number} code: {line!r}" for line in _long_lines(source(cell))]
        for output in cell.get("outputs", []):
            text = output.get("text", output.get("data", {}).get("text/plain", ""))
            text = "".join(text) if isinstance(text, list) else text
            too_long += [f"cell {number} output: {line!r}" for line in _long_lines(text)]
    assert not too_long, f"{len(too_long)} lines over {LINE_LIMIT} characters:\n" + "\n".join(too_long[:20])


def _image_cells(notebook: ipynb.Notebook) -> list[tuple[int, ipynb.Cell]]:
    return [
        (number, cell)
        for number, cell in enumerate(notebook["cells"])
        if any(
            key.startswith("image/") for output in cell.get("outputs", []) for key in output.get("data", {})
        )
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "chapters")))
def test_every_figure_has_a_caption_a_name_and_alt_text(path: Path) -> None:
    """A cell that draws a figure says, in its ``mystnb`` metadata, the figure's caption and name (so the
    book numbers it) and an alt text that says what it shows (not a file name)."""
    framework = path.stem
    for number, cell in _image_cells(load(path)):
        options = cell.get("metadata", {}).get("mystnb", {})
        figure, image = options.get("figure", {}), options.get("image", {})
        assert len(figure.get("caption", "")) >= 20, f"cell {number}: no caption"
        assert re.fullmatch(rf"fig-{path.parent.name[:2]}-{framework}-[a-z0-9-]+", figure.get("name", "")), (
            f"cell {number}: figure name {figure.get('name')!r} is not fig-<chapter number>-{framework}-<slug>"
        )
        alt = image.get("alt", "")
        assert len(alt.split()) >= 6 and not re.search(r"\.(png|svg)|[0-9a-f]{16}", alt), (
            f"cell {number}: the alt text {alt!r} does not say what the figure shows"
        )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_the_two_notebooks_have_the_same_figures_in_the_same_sections(chapter: Path) -> None:
    """So that Figure 2.3 is the same figure on both pages: the same count per section, named alike."""

    def figures(framework: str) -> list[tuple[str, str]]:
        notebook = load(chapter / f"{framework}.ipynb")
        heading, found = "", []
        images = {number for number, _ in _image_cells(notebook)}
        for number, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] == "markdown":
                lines = [line for line in source(cell).splitlines() if line.startswith("#")]
                heading = lines[-1] if lines else heading
            elif number in images:
                name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name", "")
                found.append((heading, name.replace(f"-{framework}-", "-")))
        return found

    assert figures("tensorflow") == figures("pytorch")


def _code_blocks(markdown: str) -> list[str]:
    """The code blocks of a MyST page, also inside directives: fenced with a language or none, not the
    fences of a ```{directive} themselves."""
    blocks: list[str] = []
    open_fences: list[tuple[str, list[str] | None]] = []  # (fence, the code's lines, or None for a directive)
    for line in markdown.splitlines():
        fence = re.match(r"^\s*(`{3,}|~{3,})(.*)$", line)
        inside_code = bool(open_fences) and open_fences[-1][1] is not None
        if fence and open_fences and line.strip() == open_fences[-1][0]:
            _, code = open_fences.pop()
            if code is not None:
                blocks.append("\n".join(code))
        elif inside_code:
            open_fences[-1][1].append(line)  # type: ignore[union-attr]
        elif fence:
            directive = fence.group(2).strip().startswith("{")
            open_fences.append((fence.group(1), None if directive else []))
    return blocks


def test_code_blocks_are_found_and_directives_are_not() -> None:
    page = "```python\nx = 1\n```\n````{note}\nnot code\n```\nz\n```\n````\n~~~\ny\n~~~\n"
    assert _code_blocks(page) == ["x = 1", "z", "y"]


@pytest.mark.parametrize(
    "path",
    [ROOT / "intro.md", *sorted(ROOT.glob("chapters/*/index.md"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_page_code_blocks_fit_the_column(path: Path) -> None:
    """The overviews' code blocks keep to LINE_LIMIT too."""
    too_long = [line for block in _code_blocks(path.read_text(encoding="utf-8")) for line in _long_lines(block)]
    assert not too_long, f"{len(too_long)} lines over {LINE_LIMIT} characters: {too_long[:5]}"
