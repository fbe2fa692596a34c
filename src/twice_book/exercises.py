"""Exercises that instructors can assign and grade, with otter-grader, and their rendering in the book.

Each chapter's exercises live in two *master* notebooks, ``chapters/NN_topic/exercises/tensorflow.ipynb`` and
``pytorch.ipynb``, in otter-grader's format: raw cells mark questions, solutions and tests, and lines inside a
solution end in ``# SOLUTION`` or sit between ``# BEGIN SOLUTION`` and ``# END SOLUTION``. This module

* turns a master into what an instructor hands out and grades with (:func:`assign`): otter's student and
  autograder versions, with the student notebook made self-contained, so that ``grader.check(...)`` works
  with the notebook alone, locally or on Colab (:func:`make_student_notebook`);
* grades submissions without Docker (:func:`grade`, :func:`write_grades`).

The rendered book shows the masters' solutions without otter's markers (:mod:`twice_book.sphinx`, which uses
:func:`strip_solution_markers`).

otter-grader is imported only inside :func:`assign` and :func:`grade`; nothing else here needs it. From the
command line (``python3 tasks.py exercises`` and ``python3 tasks.py grade`` call these)::

    python -m twice_book.exercises assign OUTPUT MASTER...
    python -m twice_book.exercises grade --csv FILE AUTOGRADER_ZIP SUBMISSION...
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import csv
import os
import posixpath
import re
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import ipynb
from .ipynb import Notebook, is_colab_cell, repository_of
from .ipynb import source as _source
from .ipynb import tags as _tags

#: Tag of master cells that only make sense in the book (dropped from the student version).
BOOK_ONLY_TAG = "book-only"
#: Tag with which otter's grader skips a cell of a submission.
OTTER_IGNORE_TAG = "otter_ignore"
#: Tag otter gives the cells in which students write their answers.
ANSWER_TAG = "otter_answer_cell"
#: Tag otter gives solution cells in the autograder version.
SOLUTION_TAG = "otter_assign_solution_cell"

# otter's solution markers, as otter reads them (otter/assign/solutions.py).
MARKER_LINE = re.compile(r"^\s*# (BEGIN|END) SOLUTION( NO PROMPT)?\s*$")
MARKER_SUFFIX = re.compile(r"\s*# SOLUTION( NO PROMPT)?\s*$")
# A MyST directive fence of the kinds sphinx-exercise defines.
DIRECTIVE_OPEN = re.compile(
    r"^(?P<fence>:{3,}|`{3,})\{(?P<name>exercise|solution|solution-start|solution-end)\}"
)
DIRECTIVE_OPTION = re.compile(r"^:[\w-]+:")
RELATIVE_LINK = re.compile(
    r"\[(?P<text>[^\]]+)\]\((?P<target>(?![a-z][a-z0-9+.-]*:)[^)#\s]+\.(?:ipynb|md))\)"
)


# ----------------------------------------------------------------------------------------------------------
# The student version
# ----------------------------------------------------------------------------------------------------------


def _locked(cell_type: str, source: str, tags: list[str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"deletable": False, "editable": False}
    if tags:
        metadata["tags"] = tags
    cell: dict[str, Any] = {"cell_type": cell_type, "metadata": metadata, "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def strip_solution_markers(source: str) -> str:
    """Remove otter's solution markers from code, keeping the code itself (what the book shows)."""
    lines = [line for line in source.split("\n") if not MARKER_LINE.match(line)]
    return "\n".join(MARKER_SUFFIX.sub("", line) for line in lines)


def plain_markdown(source: str) -> str:
    """Rewrite sphinx-exercise's ``{exercise}`` boxes as plain Markdown, which Jupyter and Colab can show.

    The fence and the option lines go; the body stays, its first line prefixed with **Exercise.**

    Raises:
        ValueError: if a solution directive is left: in a student version that would be a solution that sat
            outside otter's SOLUTION block of the master.
    """
    lines, out, index = source.split("\n"), [], 0
    while index < len(lines):
        match = DIRECTIVE_OPEN.match(lines[index])
        if not match:
            out.append(lines[index])
            index += 1
            continue
        if match.group("name") != "exercise":
            raise ValueError(
                f"a {{{match.group('name')}}} directive is outside otter's SOLUTION block:\n{source}"
            )
        fence, index = match.group("fence"), index + 1
        while index < len(lines) and DIRECTIVE_OPTION.match(lines[index]):
            index += 1
        body = []
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index])
            index += 1
        index += 1  # the closing fence
        while body and not body[0].strip():
            body.pop(0)
        if body:
            body[0] = "**Exercise.** " + body[0]
        out.extend(body)
    return "\n".join(out)


def absolute_links(source: str, notebook_path: str, repository: str, branch: str = "main") -> str:
    """Point relative links to book pages at the repository, since a student notebook travels alone.

    ``notebook_path`` is the master's path in the repository (``chapters/01_tensors/exercises/pytorch.ipynb``).
    Links to other exercise masters lose their target, keeping their text: those hold solutions.
    """

    def replace(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(notebook_path), match.group("target")))
        if "/exercises/" in f"/{target}":
            return match.group("text")
        return f"[{match.group('text')}]({repository}/blob/{branch}/{target})"

    return RELATIVE_LINK.sub(replace, source)


def _string_literal(text: str) -> str:
    # A readable raw triple-quoted literal where that is exact; repr() otherwise.
    if "'''" not in text and not text.endswith("\\"):
        return "r'''" + text + "'''"
    return repr(text)


def setup_cell_source(tests: dict[str, str], tests_dir: str, repository: str, otter_version: str) -> str:
    """The first code cell of a student notebook: write the public tests, and install on Colab."""
    entries = "".join(f"    {name!r}: {_string_literal(text)},\n" for name, text in sorted(tests.items()))
    return (
        "# Run this cell first. It writes the public tests of this notebook into the folder TESTS, so that\n"
        "# grader.check(...) needs nothing but this notebook; on Colab it also installs otter-grader and the\n"
        "# book's helper package `twice` (about a minute).\n"
        "import pathlib\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        f'REPOSITORY = "{repository}"\n'
        f'TESTS = pathlib.Path("{tests_dir}")\n'
        "PUBLIC_TESTS = {\n"
        f"{entries}"
        "}\n"
        'if "google.colab" in sys.modules:\n'
        f'    packages = ["otter-grader=={otter_version}", f"git+{{REPOSITORY}}"]\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *packages], check=True)\n'
        "TESTS.mkdir(exist_ok=True)\n"
        "for name, text in PUBLIC_TESTS.items():\n"
        '    (TESTS / name).write_text(text, encoding="utf-8")'
    )


def make_student_notebook(
    otter_student: Notebook,
    public_tests: dict[str, str],
    *,
    tests_dir: str,
    notebook_path: str,
    otter_version: str,
    branch: str = "main",
) -> Notebook:
    """Make otter's student notebook self-contained, for Jupyter and for Colab alike.

    otter's ``grader.check("q")`` reads ``tests/q.py`` beside the notebook, which a notebook opened alone
    (on Colab, say) does not have. The returned notebook instead starts with a cell that writes the public
    tests into ``tests_dir`` and, on Colab, installs otter-grader and the helper package; otter's own
    initialisation cell is pointed at that folder. The grader skips the new cell (tag ``otter_ignore``):
    it grades with its own copy of all tests, hidden ones included.

    Also: the master's Colab cell (merged into the new cell) and cells tagged ``book-only`` go; MyST
    exercise boxes become plain Markdown; relative links point at the repository; code cells lose the
    blank lines that removed solutions leave at their end.

    Args:
        otter_student: the student notebook that ``otter assign`` wrote (left unchanged).
        public_tests: test file name -> contents, from the ``tests`` folder beside it.
        tests_dir: the folder name the notebook writes its tests to.
        notebook_path: the master's path in the repository, for the links.
        otter_version: the otter-grader version to install on Colab.
        branch: the repository branch the links point at.

    Raises:
        ValueError: if the notebook lacks otter's initialisation cell or the Colab cell, or a solution
            directive remains.
    """
    notebook = copy.deepcopy(otter_student)
    repository = repository_of(notebook)
    cells, init = [], None
    for cell in notebook["cells"]:
        source = _source(cell)
        if cell["cell_type"] == "code" and source.startswith("# Initialize Otter"):
            init = cell
            continue
        if is_colab_cell(cell):
            continue
        if BOOK_ONLY_TAG in _tags(cell):
            continue
        if cell["cell_type"] == "markdown":
            cell["source"] = absolute_links(plain_markdown(source), notebook_path, repository, branch)
        elif cell["cell_type"] == "code":
            cell["source"] = source.rstrip()  # blank lines where otter took solution blocks out
        cells.append(cell)
    if init is None:
        raise ValueError("the student notebook has no otter initialisation cell (init_cell: true)")
    if not cells or cells[0]["cell_type"] != "markdown":
        raise ValueError("the student notebook should start with its title")
    howto = _locked(
        "markdown",
        "**Working on this notebook.** Run the code cell below first, once: it writes the checks of this "
        f"notebook into the folder `{tests_dir}` next to it, and on Colab it also installs otter-grader and "
        "the book's helper package (about a minute). Then replace each `...` by your answer and run the "
        "`grader.check(...)` cell after it: it runs the exercise's public tests and says what fails. Your "
        "instructor grades with these tests and with hidden ones, so passing here is necessary, not "
        "sufficient. Open questions are marked by hand: write your answer in the cell that asks for it. "
        "Before you submit the `.ipynb` file, run it top to bottom (*Restart & Run All*).",
    )
    setup = _locked(
        "code", setup_cell_source(public_tests, tests_dir, repository, otter_version), [OTTER_IGNORE_TAG]
    )
    init_cell = _locked(
        "code", f'# Initialize Otter\nimport otter\n\ngrader = otter.Notebook(tests_dir="{tests_dir}")'
    )
    if "id" in init:
        for index, new in enumerate((howto, setup, init_cell)):
            new["id"] = f"{init['id']}-{index}"
    notebook["cells"] = [cells[0], howto, setup, init_cell, *cells[1:]]
    return notebook


# ----------------------------------------------------------------------------------------------------------
# Assigning and grading (these import otter)
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Assigned:
    """Where :func:`assign` put one master's versions."""

    student_notebook: Path
    autograder_notebook: Path
    autograder_zip: Path


def assign(
    master: str | Path, output: str | Path, *, branch: str = "main", run_tests: bool = True
) -> Assigned:
    """Run ``otter assign`` on a master and make its student notebook self-contained.

    Writes ``output/student/<chapter>_<framework>.ipynb`` (the only file there: it carries its public tests)
    and ``output/autograder/`` (the solutions notebook, all tests, and ``autograder.zip`` for ``otter run``).
    ``otter assign`` grades the solutions with all tests and fails if one does not pass.

    Raises:
        FileNotFoundError: if ``master`` does not exist.
        RuntimeError: if a solution fails its tests.
    """
    import otter.assign  # otter is heavy and only instructors need it

    master, output = Path(master).resolve(), Path(output).resolve()
    if not master.is_file():
        raise FileNotFoundError(f"no master notebook at {master}")
    chapter, framework = master.parent.parent.name, master.stem
    for part in ("student", "autograder"):
        shutil.rmtree(output / part, ignore_errors=True)
    otter.assign.main(str(master), str(output), no_run_tests=not run_tests)

    student_dir, autograder_dir = output / "student", output / "autograder"
    tests = {
        path.name: path.read_text(encoding="utf-8") for path in sorted((student_dir / "tests").glob("*.py"))
    }
    otter_notebook = student_dir / master.name
    notebook_path = "/".join(master.parts[-4:])  # chapters/NN_topic/exercises/<framework>.ipynb
    student = make_student_notebook(
        ipynb.load(otter_notebook),
        tests,
        tests_dir=f"tests_{chapter}_{framework}",
        notebook_path=notebook_path,
        otter_version=metadata.version("otter-grader"),
        branch=branch,
    )
    shutil.rmtree(student_dir)
    student_dir.mkdir()
    student_notebook = student_dir / f"{chapter}_{framework}.ipynb"
    ipynb.save(student, student_notebook)
    (zip_path,) = autograder_dir.glob("*-autograder_*.zip")  # otter stamps the name with the time
    autograder_zip = zip_path.rename(autograder_dir / "autograder.zip")
    return Assigned(student_notebook, autograder_dir / master.name, autograder_zip)


@dataclass
class Grade:
    """The autograded score of one submission, or why it could not be graded."""

    submission: str
    total: float
    possible: float
    questions: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (score, possible)
    error: str | None = None  # e.g. a notebook of another assignment, or a file that is not a notebook


def grade(autograder_zip: str | Path, submissions: list[str | Path], *, quiet: bool = True) -> list[Grade]:
    """Grade notebooks with otter's autograder zip, without Docker, in this Python environment.

    Each submission is executed from top to bottom in a fresh kernel and scored with every test, hidden
    ones included. Questions marked by hand are not part of these scores. A submission that cannot be
    graded at all (another assignment's notebook, a broken file) gets a :class:`Grade` with ``error`` set
    and no points, so that one bad file does not stop the others.

    Raises:
        FileNotFoundError: if the zip or a submission does not exist.
    """
    import otter.api  # noqa: F401 - imported once here, inherited by the workers

    if not Path(autograder_zip).is_file():
        raise FileNotFoundError(f"no autograder zip at {autograder_zip}")
    for submission in submissions:
        if not Path(submission).is_file():
            raise FileNotFoundError(f"no submission at {submission}")
    # Each submission runs in a kernel of its own, and otter grades in a folder it changes into, so
    # submissions are graded side by side in processes, not threads.
    workers = max(1, min(len(submissions), os.cpu_count() or 1))
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        return list(
            pool.map(
                _grade_one,
                [str(autograder_zip)] * len(submissions),
                map(str, submissions),
                [quiet] * len(submissions),
            )
        )


def _grade_one(autograder_zip: str, submission: str, quiet: bool) -> Grade:
    from otter.api import grade_submission

    try:
        results = grade_submission(submission, autograder_zip, quiet=quiet)
    except Exception as error:  # noqa: BLE001 - reported with the submission; the others are still graded
        return Grade(submission, 0.0, float("nan"), error=f"{type(error).__name__}: {error}")
    questions = {
        name: (float(result.score), float(result.possible))
        for name, result in sorted(results.results.items())
    }
    return Grade(submission, float(results.total), float(results.possible), questions)


def write_grades(grades: list[Grade], path: str | Path) -> None:
    """Write one row per submission: its total, the points possible, each question's score, any error."""
    questions = sorted({name for g in grades for name in g.questions})
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "total", "possible", *questions, "error"])
        for g in grades:
            scores = [g.questions[q][0] if q in g.questions else "" for q in questions]
            writer.writerow([g.submission, g.total, "" if g.error else g.possible, *scores, g.error or ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twice_book.exercises", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    to_assign = commands.add_parser("assign", help="make the student and autograder versions of masters")
    to_assign.add_argument("output", help="folder; each master goes to OUTPUT/<chapter>/<framework>/")
    to_assign.add_argument("masters", nargs="+")
    to_assign.add_argument("--branch", default="main", help="repository branch for the student links")
    to_grade = commands.add_parser("grade", help="grade submissions with an autograder zip, without Docker")
    to_grade.add_argument("autograder_zip")
    to_grade.add_argument("submissions", nargs="+")
    to_grade.add_argument("--csv", help="also write the scores to this CSV file")
    args = parser.parse_args(argv)

    if args.command == "assign":
        masters = [Path(m) for m in args.masters]
        outputs = [Path(args.output) / m.parent.parent.name / m.stem for m in masters]
        # Each master runs its solutions in a kernel of its own, so masters can be assigned side by side.
        import otter.assign  # noqa: F401 - imported once here, inherited by the workers

        workers = min(len(masters), os.cpu_count() or 1)
        with concurrent.futures.ProcessPoolExecutor(workers) as pool:
            jobs = [pool.submit(assign, m, out, branch=args.branch) for m, out in zip(masters, outputs)]
            for master, job in zip(masters, jobs):
                assigned = job.result()
                print(f"{master}: student version {assigned.student_notebook}")
                print(f"{' ' * len(str(master))}  autograder     {assigned.autograder_zip}")
    else:
        grades = grade(args.autograder_zip, args.submissions)
        width = max(len(g.submission) for g in grades)
        for g in grades:
            score = f"not graded: {g.error}" if g.error else f"{g.total:g} / {g.possible:g}"
            print(f"{g.submission:{width}s}  {score}")
        if args.csv:
            write_grades(grades, args.csv)
            print(f"scores written to {args.csv}")
        failed = sum(1 for g in grades if g.error)
        if failed:
            print(f"{failed} of {len(grades)} submissions could not be graded", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
