"""Exercises that instructors can assign and grade, with otter-grader, and their rendering in the book.

Each chapter's exercises live in two *master* notebooks, ``chapters/NN_topic/exercises/tensorflow.ipynb`` and
``pytorch.ipynb``, in otter-grader's format: raw cells mark questions, solutions and tests, and lines inside a
solution end in ``# SOLUTION`` or sit between ``# BEGIN SOLUTION`` and ``# END SOLUTION``. This module

* turns a master into what an instructor hands out and grades with (:func:`assign`): otter's student and
  autograder versions, with the student notebook made self-contained, so that ``grader.check(...)`` works
  with the notebook alone, locally or on Colab (:func:`make_student_notebook`);
* grades submissions, each in a bubblewrap sandbox of its own, with a timeout and resource limits
  (:func:`grade`, :class:`GradesWriter`; the sandbox runs :mod:`twice_book.grading_worker`).

The rendered book shows the masters' solutions without otter's markers (:mod:`twice_book.sphinx`, which uses
:func:`strip_solution_markers`).

otter-grader is imported only inside :func:`assign` and :func:`grade`; nothing else here needs it. From the
command line (``python3 tasks.py exercises`` and ``python3 tasks.py grade`` call these)::

    python -m twice_book.exercises assign OUTPUT MASTER...
    python -m twice_book.exercises grade [--csv NEW_FILE] [--timeout S] [--workers N] [--unsafe-no-sandbox] \
        AUTOGRADER_ZIP SUBMISSION...
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import csv
import json
import math
import os
import posixpath
import re
import shutil
import signal
import sys
import zipfile
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
    checked = (re.fullmatch(r'grader\.check\("(\w+)"\)', _source(c).strip()) for c in student["cells"])
    order = list(dict.fromkeys(match.group(1) for match in checked if match))
    with zipfile.ZipFile(autograder_zip, "a") as archive:  # the CSV's columns follow the notebook
        archive.writestr(QUESTION_ORDER, json.dumps(order))
    return Assigned(student_notebook, autograder_dir / master.name, autograder_zip)


@dataclass
class Grade:
    """The autograded score of one submission, or why it could not be graded."""

    submission: str
    total: float
    possible: float
    questions: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (score, possible)
    error: str | None = None  # why it was not graded, e.g. "timeout: ..." or "not a notebook: ..."
    status: str = "graded"  # or: tampered, timeout, memory, output, crash, not a notebook, wrong assignment, error
    seconds: float = 0.0  # how long grading it took


@dataclass
class Limits:
    """What one submission may use while it is graded (each applies to every process of its sandbox)."""

    timeout: float = 600.0  # wall-clock seconds for the whole submission
    cpu_seconds: int = 1200  # CPU time of each process
    memory: int = 8 * 2**30  # address space per process (importing TF and torch: 1.7 GiB)
    processes: int = 512  # processes and threads of the sandbox's user
    file_size: int = 64 * 2**20  # largest file (or output stream) a process may write


#: bubblewrap, with which every submission is graded in a sandbox of its own.
BWRAP = "/usr/bin/bwrap"
#: First of the user ids that sandboxes run as when the grader runs as root (one per parallel worker).
SANDBOX_UID = 61000


#: The file :func:`assign` adds to the autograder zip: the graded questions in the notebook's order.
QUESTION_ORDER = "twice_question_order.json"


def autograder_questions(autograder_zip: str | Path) -> list[str]:
    """The questions an autograder zip grades, in the notebook's order (as :func:`assign` recorded it; a zip
    otter made alone gives its test files' order)."""
    with zipfile.ZipFile(autograder_zip) as archive:
        names = [n for n in archive.namelist() if n.startswith("tests/") and n.endswith(".py")]
        order = json.loads(archive.read(QUESTION_ORDER)) if QUESTION_ORDER in archive.namelist() else []
    tested = [posixpath.splitext(posixpath.basename(n))[0] for n in names]
    return [q for q in order if q in tested] + [q for q in tested if q not in order]


def _real_python() -> Path:
    """This environment's Python, reached without symbolic links to folders (a venv's bin/python itself
    may be a link to the installation's, which the venv's pyvenv.cfg then needs beside the link)."""
    python = Path(sys.executable)
    return python.parent.resolve() / python.name


def _tasks_of_this_user() -> int:
    """How many processes and threads this user runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == os.getuid():
                    count += sum(1 for _ in (entry / "task").iterdir())
            except OSError:
                continue
    return count


def _package_folder(name: str) -> Path | None:
    """The folder from which ``name`` is imported here (``src/`` for the helper packages), if it is found."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve().parent


def _sandbox_command(work: Path, slot: int, limits: Limits, sandbox: bool) -> list[str]:
    """The command that runs the grading worker on ``work/in`` (read only), writing ``work/out``."""
    python = Path(sys.executable)
    worker = [str(python if not sandbox else _real_python()), "-m", "twice_book.grading_worker"]
    prlimit = [
        "prlimit",
        f"--cpu={limits.cpu_seconds}",
        f"--as={limits.memory}",
        f"--fsize={limits.file_size}",
        "--core=0",
    ]
    if not sandbox:
        files = [
            str(work / "in" / "autograder.zip"),
            str(work / "in" / "submission"),
            str(work / "out" / "r"),
        ]
        return [*prlimit, f"--nproc={limits.processes}", *worker, *files]
    files = [
        "-",  # the zip comes on stdin: no file in the sandbox holds the hidden tests
        "/grading/in/submission",
        "/grading/out/result.json",
        "--sandboxed",
    ]
    command = [BWRAP, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net"]
    command += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grading"]
    command += ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        top = Path("/") / name
        if top.is_symlink():
            command += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            command += ["--ro-bind", str(top), str(top)]
    command += [
        "--perms",
        "0755",
        "--dir",
        "/etc",
        "--ro-bind",
        str(work / "hosts"),
        "/etc/hosts",
    ]  # the sandbox's own names, loopback only
    for name in ("passwd", "group", "nsswitch.conf", "ld.so.cache", "localtime", "alternatives"):
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for name in ("fonts", "ssl", "ca-certificates", "matplotlibrc"):
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # The Python environment, read only: the venv, the installation it was made from, and the folders that
    # hold the helper packages (wherever PYTHONPATH or an editable install puts them), not the folders
    # around them (the repository, with the instructor's builds and hidden tests, is not in the sandbox).
    needed = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), python.resolve().parent.parent}
    needed |= {folder for folder in map(_package_folder, ("twice", "twice_book")) if folder is not None}
    # The private /tmp first: an environment that lives under /tmp (a clone there, say) is bound into it
    # afterwards, where a tmpfs mounted later would hide it.
    command += ["--perms", "1777", "--tmpfs", "/tmp"]
    made: set[Path] = {Path("/tmp")}
    bound: list[Path] = [Path("/usr")]
    for path in sorted(needed):
        if path == Path("/") or any(path.is_relative_to(p) for p in bound):
            continue
        for parent in reversed(path.parents[:-1]):  # bwrap would make them private to root (mode 700)
            if parent not in made:
                command += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        command += ["--ro-bind", str(path), str(path)]
        bound.append(path)
    command += ["--perms", "0755", "--dir", "/grading"]
    command += ["--ro-bind", str(work / "in"), "/grading/in", "--bind", str(work / "out"), "/grading/out"]
    command += ["--chdir", "/tmp", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"]
    command += ["--unsetenv", "JUPYTER_PATH", "--unsetenv", "JUPYTER_CONFIG_DIR", "--unsetenv", "IPYTHONDIR"]
    command += ["--setenv", "MPLCONFIGDIR", "/tmp/matplotlib"]
    if os.geteuid() == 0:
        # As root, the sandbox runs as a user of its own (root is exempt from the process limit, and root
        # would read every file the instructor owns); bwrap keeps only the right to switch to it.
        uid = str(SANDBOX_UID + slot)
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]
        return [*command, *prlimit, f"--nproc={limits.processes}", *setpriv, *worker, *files]
    # As another user, the process limit counts all of that user's processes and threads, in the
    # sandbox or not: the limit is what runs now plus the sandbox's share.
    command += ["--unshare-user", "--"]
    return [*command, *prlimit, f"--nproc={_tasks_of_this_user() + limits.processes}", *worker, *files]


def _reason(returncode: int, log: str, limits: Limits) -> tuple[str, str]:
    """The status and the reason of a worker that ended without a result."""
    lines = [line for line in log.strip().splitlines() if line.strip() and not line.startswith((" ", "\t"))]
    tail = [line for line in lines if "Warning" not in line and "WARNING" not in line][-3:]
    detail = (": " + " | ".join(tail))[:500] if tail else ""
    if "MemoryError" in log or "Cannot allocate memory" in log or "std::bad_alloc" in log:
        return "memory", f"ran out of memory (limit {limits.memory / 2**30:g} GiB per process){detail}"
    number = -returncode if returncode < 0 else returncode - 128 if 128 < returncode < 128 + 65 else 0
    if number:  # bwrap exits with 128 + the signal that killed the grader
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        if number == signal.SIGXCPU:
            return "timeout", f"exceeded the CPU time limit ({limits.cpu_seconds} s)"
        return "crash", f"the grader was killed by signal {name}{detail}"
    return "crash", f"the grader exited with code {returncode} without a result{detail}"


def _grade_in_sandbox(
    autograder_zip: Path,
    submission: Path,
    slot: int,
    limits: Limits,
    sandbox: bool,
    scratch: Path,
    live: dict[int, Any],
) -> Grade:
    """Grade one submission in a sandbox of its own and read back its result (nothing else comes out)."""
    import json
    import subprocess
    import tempfile
    import time

    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="submission-", dir=scratch))
    (work / "in").mkdir()
    (work / "out").mkdir()
    (work / "hosts").write_text("127.0.0.1 localhost grading\n::1 localhost ip6-localhost\n")
    if not sandbox:
        shutil.copyfile(autograder_zip, work / "in" / "autograder.zip")
    shutil.copyfile(submission, work / "in" / "submission")
    for path in (work, work / "in", work / "hosts", work / "in" / "submission"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    if sandbox and os.geteuid() == 0:
        os.chown(work / "out", SANDBOX_UID + slot, SANDBOX_UID + slot)
    result_file = work / "out" / ("result.json" if sandbox else "r")
    name = str(submission)
    try:
        with open(work / "log", "wb") as log, open(autograder_zip, "rb") as tests:
            process = subprocess.Popen(
                _sandbox_command(work, slot, limits, sandbox),
                stdin=tests if sandbox else subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group, which a timeout kills whole
                env={**os.environ, "PYTHONNOUSERSITE": "1"},
            )
            live[process.pid] = process
            try:
                returncode = process.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                seconds = time.monotonic() - start
                return Grade(
                    name,
                    0.0,
                    float("nan"),
                    error=f"timeout: not finished after {limits.timeout:g} s",
                    status="timeout",
                    seconds=seconds,
                )
            except BaseException:  # Ctrl-C: end the sandbox before the temporary folder goes
                _kill_group(process)
                raise
            finally:
                live.pop(process.pid, None)
        seconds = time.monotonic() - start
        # The worker writes its result last, after killing whatever else ran in the sandbox; a result
        # without a clean exit may have been written by the submission and is not read.
        if returncode != 0 or not result_file.is_file():
            log_text = (work / "log").read_bytes()[-20000:].decode("utf-8", "replace")
            status, error = _reason(returncode, log_text, limits)
            return Grade(name, 0.0, float("nan"), error=f"{status}: {error}", status=status, seconds=seconds)
        try:
            result = json.loads(result_file.read_text(encoding="utf-8"))
            if result["status"] == "memory" and "questions" in result:  # a cell short of memory, graded
                questions = {str(q): (float(s), float(p)) for q, s, p in result["questions"]}
                total, possible = float(result["total"]), float(result["possible"])
                error = f"memory: {result['error']}"
                return Grade(name, total, possible, questions, error=error, status="memory", seconds=seconds)
            if result["status"] != "graded":
                status = str(result["status"])
                return Grade(
                    name,
                    0.0,
                    float("nan"),
                    error=f"{status}: {result['error']}",
                    status=status,
                    seconds=seconds,
                )
            questions = {str(q): (float(s), float(p)) for q, s, p in result["questions"]}
            return Grade(name, float(result["total"]), float(result["possible"]), questions, seconds=seconds)
        except (ValueError, KeyError, TypeError) as error:
            return Grade(
                name,
                0.0,
                float("nan"),
                error=f"error: unreadable result ({error})",
                status="error",
                seconds=seconds,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _kill_group(process: Any) -> None:
    """Kill a worker's whole process group (bwrap's PID namespace then takes the rest of the sandbox)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _wait_until_gone(uid: int, timeout: float = 30.0) -> None:
    """Wait until no process of ``uid`` is left: the processes of a killed sandbox (a fork bomb's) take a while
    to go, and while they are there they count against the process limit of the next sandbox of that user."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and entry.stat().st_uid == uid:
                    break
            except OSError:
                continue
        else:
            return
        time.sleep(0.2)


def sandbox_available() -> str | None:
    """None if bubblewrap can make a grading sandbox here, or why it cannot."""
    import subprocess

    if not Path(BWRAP).is_file():
        return f"{BWRAP} is missing (install the Debian/Ubuntu package bubblewrap)"
    probe = [BWRAP, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--die-with-parent", "true"]
    if os.geteuid() != 0:
        probe.insert(1, "--unshare-user")
    result = subprocess.run(probe, capture_output=True, text=True, check=False)
    if result.returncode:
        return f"bwrap cannot make a sandbox here: {result.stderr.strip()}"
    return None


def grade(
    autograder_zip: str | Path,
    submissions: list[str | Path],
    *,
    limits: Limits | None = None,
    workers: int | None = None,
    sandbox: bool = True,
    on_result: Any = None,
) -> list[Grade]:
    """Grade notebooks with otter's autograder zip, each in a bubblewrap sandbox of its own.

    Each submission is executed from top to bottom in a fresh kernel of this Python environment (whatever
    kernel it names) and scored with every test, hidden ones included, in a sandbox without network that
    sees the system and the environment read only, a copy of the submission and the zip, and nothing else
    (see the README's *For instructors*), within ``limits``. A submission that cannot be graded (it timed
    out, ran out of memory, crashed the grader, is another assignment or not a notebook) gets a
    :class:`Grade` with ``status`` and ``error`` set and no points; the others are graded all the same.
    ``on_result(grade)`` is called as each result is known. Questions marked by hand are not scored.

    Raises:
        FileNotFoundError: if the zip or a submission does not exist.
        RuntimeError: if ``sandbox`` is true and bubblewrap cannot make a sandbox here.
    """
    import tempfile
    import threading

    limits = limits or Limits()
    autograder_zip = Path(autograder_zip).resolve()
    if not autograder_zip.is_file():
        raise FileNotFoundError(f"no autograder zip at {autograder_zip}")
    paths = [Path(s).resolve() for s in submissions]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no submission at {path}")
    if sandbox:
        problem = sandbox_available()
        if problem:
            raise RuntimeError(f"{problem}; refusing to grade untrusted code without a sandbox")
    workers = max(1, min(len(paths), workers or os.cpu_count() or 1))
    slots = list(range(workers))
    lock = threading.Lock()
    grades: list[Grade | None] = [None] * len(paths)
    live: dict[int, Any] = {}  # the sandboxes running now, by process id
    interrupted = threading.Event()

    def one(index: int) -> None:
        if interrupted.is_set():
            return
        with lock:
            slot = slots.pop()
        try:
            found = _grade_in_sandbox(autograder_zip, paths[index], slot, limits, sandbox, scratch, live)
            if interrupted.is_set():
                return  # killed by the interruption: no result, rather than a false "crash"
            found.submission = str(submissions[index])
            grades[index] = found
            if on_result is not None:
                with lock:
                    on_result(found)
        finally:
            if sandbox and os.geteuid() == 0:
                _wait_until_gone(SANDBOX_UID + slot)
            with lock:
                slots.append(slot)

    # One subprocess (one sandbox) per submission, a few at a time: a submission that kills its grader
    # ends only its own subprocess.
    with tempfile.TemporaryDirectory(prefix="twice-grading-") as folder:
        scratch = Path(folder)
        scratch.chmod(0o755)
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(one, i) for i in range(len(paths))]
            try:
                for future in futures:
                    future.result()
            except BaseException:  # Ctrl-C: keep what was reported, end every sandbox, remove every copy
                interrupted.set()
                for future in futures:
                    future.cancel()
                for process in list(live.values()):
                    _kill_group(process)
                raise
    return [g for g in grades if g is not None]


#: The CSV's columns around the questions'.
CSV_FIRST, CSV_LAST = ["file"], ["total", "possible", "status", "error", "seconds", "batch"]


class GradesWriter:
    """Write grades to a new CSV file, one row as soon as each is known (flushed), for one batch.

    The columns: ``file``, one per question (in the notebook's order), ``total``, ``possible``, ``status``
    (graded, tampered, timeout, memory, output, crash, not a notebook, wrong assignment, error), ``error``
    (the reason),
    ``seconds`` and ``batch`` (when the batch started, UTC). An existing file is never overwritten.
    """

    def __init__(self, path: str | Path, questions: list[str], batch: str) -> None:
        self.path, self.questions, self.batch = Path(path), list(questions), batch
        self.handle = open(self.path, "x", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.writer = csv.writer(self.handle)
        self.writer.writerow([*CSV_FIRST, *self.questions, *CSV_LAST])
        self.handle.flush()

    def write(self, g: Grade) -> None:
        scores = [f"{g.questions[q][0]:g}" if q in g.questions else "" for q in self.questions]
        possible = "" if math.isnan(g.possible) else f"{g.possible:g}"
        row = [g.submission, *scores, f"{g.total:g}", possible, g.status, g.error or "", f"{g.seconds:.1f}"]
        self.writer.writerow([*row, self.batch])
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def write_grades(grades: list[Grade], path: str | Path, questions: list[str] | None = None) -> None:
    """Write grades to a new CSV file (see :class:`GradesWriter`); refuses to overwrite one."""
    import datetime

    if questions is None:
        questions = list(dict.fromkeys(name for g in grades for name in g.questions))
    batch = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    writer = GradesWriter(path, questions, batch)
    try:
        for g in grades:
            writer.write(g)
    finally:
        writer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m twice_book.exercises", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    to_assign = commands.add_parser("assign", help="make the student and autograder versions of masters")
    to_assign.add_argument("output", help="folder; each master goes to OUTPUT/<chapter>/<framework>/")
    to_assign.add_argument("masters", nargs="+")
    to_assign.add_argument("--branch", default="main", help="repository branch for the student links")
    to_grade = commands.add_parser(
        "grade", help="grade submissions with an autograder zip, each in a sandbox"
    )
    to_grade.add_argument("autograder_zip")
    to_grade.add_argument("submissions", nargs="+")
    to_grade.add_argument("--csv", help="also write the scores to this new CSV file (never overwritten)")
    to_grade.add_argument("--timeout", type=float, default=Limits.timeout, help="seconds per submission")
    to_grade.add_argument("--workers", type=int, help="submissions graded side by side (default: CPUs)")
    to_grade.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="grade without bubblewrap: submissions can then read and change your files",
    )
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
        return _grade_command(args)
    return 0


def _grade_command(args: argparse.Namespace) -> int:
    import datetime

    if args.csv and Path(args.csv).exists():
        print(f"{args.csv} exists; grades go to a new file each batch", file=sys.stderr)
        return 2
    limits = Limits(timeout=args.timeout)
    batch = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    writer = GradesWriter(args.csv, autograder_questions(args.autograder_zip), batch) if args.csv else None

    def report(g: Grade) -> None:
        if math.isnan(g.possible):
            score = f"not graded: {g.error}"
        else:
            score = f"{g.total:g} / {g.possible:g}" + (f"  ({g.error})" if g.error else "")
        print(f"{g.submission}  {score}  ({g.seconds:.0f} s)", flush=True)
        if writer is not None:
            writer.write(g)

    try:
        grades = grade(
            args.autograder_zip,
            args.submissions,
            limits=limits,
            workers=args.workers,
            sandbox=not args.unsafe_no_sandbox,
            on_result=report,
        )
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the results above are kept", file=sys.stderr)
        return 130
    finally:
        if writer is not None:
            writer.close()
            print(f"scores written to {args.csv}")
    failed = sum(1 for g in grades if g.error)
    if failed:
        print(f"{failed} of {len(grades)} submissions could not be graded", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
