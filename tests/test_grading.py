"""Grading that an instructor can trust: adversarial submissions, graded in the real bubblewrap sandbox.

One master (chapter 1, PyTorch, the cheapest) is assigned once per session, in a temporary folder; then one
batch grades, side by side and with a short timeout, the solved and unanswered student notebooks and
submissions that loop forever, kill their grader, exit, fork without end, print a gigabyte, look at files and
networks they must not reach, leave a process behind to rewrite their result, or are not notebooks at all,
or lost their metadata, or name another kernel or assignment, or have a syntax error, or cheat (a fake tests
folder, lying values, patched libraries and builtins, frames, trace and audit hooks, ctypes, a thread left
running). The tests read the CSV that the batch wrote,
row by row, as the command line does. Nothing here is mocked: the sandbox is bwrap's.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from twice_book import exercises
from twice_book.ipynb import Notebook, load, source, tags

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "chapters" / "01_tensors" / "exercises" / "pytorch.ipynb"
TIMEOUT = 60  # seconds per submission in these tests; an honest one takes about 10-20 s on two busy cores
WORKERS = 4


def code(text: str) -> dict[str, object]:
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}


def paste_solutions(student: Notebook, autograder: Notebook) -> Notebook:
    solved: Notebook = json.loads(json.dumps(student))
    answers = [c for c in solved["cells"] if c["cell_type"] == "code" and exercises.ANSWER_TAG in tags(c)]
    solutions = [
        c for c in autograder["cells"] if c["cell_type"] == "code" and exercises.SOLUTION_TAG in tags(c)
    ]
    assert len(answers) == len(solutions) > 0
    for answer, solution in zip(answers, solutions):
        answer["source"] = solution["source"]
    return solved


def with_cell(notebook: Notebook, text: str) -> Notebook:
    """The notebook with one more code cell at its end."""
    changed: Notebook = json.loads(json.dumps(notebook))
    changed["cells"].append(code(text))
    return changed


def must_fail(action: str) -> str:
    """A cell that kills its kernel (so the submission is not graded) if ``action`` succeeds."""
    return f"import os\ntry:\n    {action}\nexcept OSError:\n    pass\nelse:\n    os._exit(3)\n"


def must_work(action: str) -> str:
    """A cell that kills its kernel if ``action`` fails."""
    return f"import os\ntry:\n    {action}\nexcept OSError:\n    os._exit(3)\n"


# Forks until the process limit refuses, then every process sleeps (a spinning bomb would only slow the
# other submissions down until the timeout).
FORK_BOMB = """import os
import time

while True:
    try:
        os.fork()
    except OSError:
        break
time.sleep(3600)"""


# A tests/ folder of its own, with a test file that passes: the grader's tests never come from the
# submission's folder.
FAKE_TESTS = """import os

os.makedirs("tests", exist_ok=True)
with open("tests/dtypes.py", "w") as file:
    file.write("OK_FORMAT = False\\nname = 'dtypes'\\npoints = 2\\ntest = lambda: None\\n")"""

# Values that claim to equal anything.
LYING_EQ = """class Anything(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


keys = ["int_list", "int_true_division", "int_by_float", "int_plus_float_tensor", "large_int"]
predicted = {key: Anything("int64") for key in keys}"""

# A PyTorch function mode sees every call into torch while it is active, and answers torch.allclose.
TORCH_MODE = """import torch
from torch.overrides import TorchFunctionMode


class Agreeable(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.allclose:
            return True
        return func(*args, **(kwargs or {}))


Agreeable().__enter__()"""

# numpy.allclose replaced by a callable of the standard library that is always true.
PARTIAL = """import functools
import operator

import numpy

numpy.allclose = functools.partial(operator.truth, 1)"""

# A thread left running, which could change values while the tests run.
THREAD = """import threading
import time

threading.Thread(target=lambda: time.sleep(600), daemon=True).start()"""


@dataclass
class Batch:
    rows: dict[str, dict[str, str]]  # case -> CSV row
    seconds: float
    possible: float
    folder: Path
    csv_text: str
    questions: list[str]  # the autograder's, in the notebook's order


def cases(folder: Path, solved: Notebook, student: Notebook, instructor: Path) -> dict[str, Path]:
    """Write one submission per case into its own folder; return case -> path."""
    other = folder / "solved" / "solved.ipynb"  # another student's submission, which none may read
    home = next((p for p in sorted(Path.home().iterdir()) if p.is_file()), None)
    forbidden = [
        f"open({str(other)!r}).read()",  # another student's submission
        f"os.listdir({str(instructor)!r})",  # the instructor's folder, with the hidden tests
        f"open({str(ROOT / 'README.md')!r}).read()",  # the repository
        f"open({str(home)!r}).read()" if home else f"os.listdir({str(Path.home())!r})[0]",  # $HOME
        "import socket; socket.create_connection(('1.1.1.1', 53), timeout=5)",  # the network
        f"open({str(folder / 'planted.txt')!r}, 'w').write('x')",  # writing outside its folder
        "open('/usr/planted.txt', 'w').write('x')",
        "open('/grading/in/submission', 'w').write('x')",  # its own input copy is read only
        "open('/grading/in/autograder.zip', 'rb').read()",  # the hidden tests: the zip is not in the sandbox
    ]
    isolation = [must_work("open('/etc/passwd').read()"), *map(must_fail, forbidden)]
    stripped = json.loads(json.dumps(solved))
    stripped["metadata"] = {}
    foreign = json.loads(json.dumps(solved))
    foreign["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    wrong = json.loads(json.dumps(solved))
    wrong["metadata"]["otter"] = {"assignment_name": "01_tensors-tensorflow"}
    rewrite = (
        "import subprocess\n"
        'fake = \'{"status": "graded", "error": "", "total": 99, "possible": 99, "questions": []}\'\n'
        "subprocess.Popen(['sh', '-c', f\"while true; do echo '{fake}' > /grading/out/result.json; "
        'sleep 0.01; done"], start_new_session=True)'
    )
    syntax = json.loads(json.dumps(solved))
    answer = next(c for c in syntax["cells"] if exercises.ANSWER_TAG in tags(c) and "predicted" in source(c))
    answer["source"] = source(answer).replace("predicted = {}", "predicted = {", 1)  # a syntax error
    frames = (  # answers with the test's own expected values, found through the frames
        "import sys\n\n\ndef add_channel_bias(x, bias, layout):\n"
        "    return sys._getframe(1).f_locals.get('expected')\n"
    )
    notebooks: dict[str, Notebook | bytes] = {
        "solved": solved,
        "unanswered": student,
        "infinite_loop": with_cell(solved, "while True:\n    pass"),
        "kill_grader": with_cell(solved, "import os\nos.kill(os.getppid(), 9)"),
        "os_exit": with_cell(solved, "import os\nos._exit(1)"),
        "sys_exit": with_cell(solved, "import sys\nsys.exit(1)"),
        "fork_bomb": with_cell(solved, FORK_BOMB),
        "huge_print": with_cell(solved, "for _ in range(1000):\n    print('x' * 1_000_000)"),
        "isolation": with_cell(solved, "\n".join(isolation)),
        "left_behind": with_cell(student, rewrite),
        "stripped_metadata": stripped,
        "foreign_kernel": foreign,
        "wrong_assignment": wrong,
        "not_a_notebook": b"print('I am a script, not a notebook')\n",
        "syntax_error": syntax,
        # cheats: each of these, on the unanswered notebook, must get no credit, and most are reported
        "fake_tests": with_cell(student, FAKE_TESTS),
        "lying_eq": with_cell(student, LYING_EQ),
        "patched_allclose": with_cell(student, "import numpy\nnumpy.allclose = lambda *args, **kwargs: True"),
        "allclose_by_partial": with_cell(student, PARTIAL),
        "patched_exec": with_cell(student, "import builtins\nbuiltins.exec = lambda *args, **kwargs: None"),
        "frames": with_cell(student, frames),
        "trace": with_cell(student, "import sys\nsys.settrace(lambda *args: None)"),
        "audit_hook": with_cell(student, "import sys\nsys.addaudithook(lambda *args: None)"),
        "ctypes": with_cell(student, "import ctypes\nctypes.string_at(id(1), 8)"),
        "thread": with_cell(student, THREAD),
        "torch_mode": with_cell(student, TORCH_MODE),
        # torch's own mode, as a learner may set it: not tampering
        "default_device": with_cell(solved, 'import torch\n\ntorch.set_default_device("cpu")'),
        # 16 GiB in one array, beyond the 8 GiB limit: that cell fails, the rest is graded
        "memory_hog": with_cell(solved, "import numpy\n\nhog = numpy.ones(2**31)"),
    }
    paths = {}
    for name, notebook in notebooks.items():
        path = folder / name / ("solved.ipynb" if name == "solved" else f"{name}.ipynb")
        path.parent.mkdir(parents=True)
        path.write_bytes(notebook if isinstance(notebook, bytes) else json.dumps(notebook).encode())
        paths[name] = path
    return paths


@pytest.fixture(scope="session")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    work = tmp_path_factory.mktemp("grading")
    assigned = subprocess.run(
        [sys.executable, "-m", "twice_book.exercises", "assign", work / "assigned", MASTER],
        capture_output=True,
        text=True,
        check=False,
    )
    assert assigned.returncode == 0, assigned.stderr[-3000:]
    out = work / "assigned" / "01_tensors" / "pytorch"
    student = load(out / "student" / "01_tensors_pytorch.ipynb")
    solved = paste_solutions(student, load(out / "autograder" / "pytorch.ipynb"))
    paths = cases(work / "submissions", solved, student, out / "autograder")
    table = work / "grades.csv"
    zip_path = out / "autograder" / "autograder.zip"
    command: list[str | Path] = [sys.executable, "-m", "twice_book.exercises", "grade", "--csv", table]
    command += ["--timeout", str(TIMEOUT), "--workers", str(WORKERS), zip_path]
    start = time.monotonic()
    result = subprocess.run([*command, *paths.values()], capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    print(f"graded {len(paths)} submissions in {seconds:.0f} s\n{result.stdout}")
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    text = table.read_text(encoding="utf-8")
    by_path = {row["file"]: row for row in csv.DictReader(text.splitlines())}
    rows = {name: by_path[str(path)] for name, path in paths.items()}
    checked = re.findall(r'grader\.check\("(\w+)"\)', "\n".join(source(c) for c in student["cells"]))
    assert checked and exercises.autograder_questions(zip_path) == checked  # the notebook's order
    return Batch(
        rows,
        seconds,
        2.0 * len(checked),
        work / "submissions",
        text,
        exercises.autograder_questions(zip_path),
    )


FULL_MARKS = [
    "solved",
    "default_device",  # torch.set_default_device pushes torch's own function mode
    "sys_exit",  # IPython catches SystemExit: the kernel goes on
    "stripped_metadata",  # graded as the zip's assignment, in this environment's kernel
    "foreign_kernel",
    # /etc/passwd is readable, and every access in cases() fails: another submission, the instructor's
    # folder, the repository, $HOME, the network, writing outside its folder (the kernel dies otherwise)
    "isolation",
]


@pytest.mark.parametrize("case", FULL_MARKS)
def test_honest_and_refused_accesses_get_full_marks(batch: Batch, case: str) -> None:
    row = batch.rows[case]
    assert row["status"] == "graded" and not row["error"], row
    assert float(row["possible"]) == batch.possible and float(row["total"]) == batch.possible, row


def test_unanswered_gets_nothing(batch: Batch) -> None:
    row = batch.rows["unanswered"]
    assert (
        row["status"] == "graded" and float(row["total"]) == 0 and float(row["possible"]) == batch.possible
    ), row


def test_a_syntax_error_costs_only_the_questions_that_depend_on_it(batch: Batch) -> None:
    row = batch.rows["syntax_error"]  # solved, but the cell of the first question does not parse
    assert row["status"] == "graded" and float(row["dtypes"]) == 0, row
    assert float(row["total"]) == batch.possible - 2 and float(row["possible"]) == batch.possible, row


@pytest.mark.parametrize(
    ("case", "report"),
    [
        ("patched_allclose", "changed what the tests rely on: numpy.allclose"),
        ("allclose_by_partial", "changed what the tests rely on: numpy.allclose"),
        ("patched_exec", "tampered"),
        ("frames", "sys._getframe"),
        ("trace", "sys.settrace"),
        ("audit_hook", "sys.addaudithook"),
        ("ctypes", "ctypes."),
        ("thread", "left a thread running <lambda>"),
        ("torch_mode", "a torch function mode of the submission active before the tests (Agreeable)"),
    ],
)
def test_tampering_is_reported_and_gets_no_credit(batch: Batch, case: str, report: str) -> None:
    row = batch.rows[case]
    assert row["status"] == "tampered" and "tampered with the grader" in row["error"], row
    assert report in row["error"] and float(row["total"]) == 0 and row["possible"] == "", row


@pytest.mark.parametrize("case", ["fake_tests", "lying_eq"])
def test_cheats_that_change_nothing_score_nothing(batch: Batch, case: str) -> None:
    row = batch.rows[case]
    assert row["status"] == "graded" and float(row["total"]) == 0, row
    assert float(row["possible"]) == batch.possible, row


def test_a_left_behind_process_cannot_rewrite_the_result(batch: Batch) -> None:
    row = batch.rows["left_behind"]  # unanswered, with a process that writes a result of 99 points in a loop
    assert (
        row["status"] == "graded" and float(row["total"]) == 0 and float(row["possible"]) == batch.possible
    ), row
    time.sleep(1)
    tables = list(batch.folder.parent.glob("*.csv"))
    assert [t.read_text(encoding="utf-8") for t in tables] == [batch.csv_text]
    assert "99" not in batch.csv_text.replace(",", " ").split()


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("infinite_loop", "timeout", f"not finished after {TIMEOUT} s"),
        ("fork_bomb", "timeout", f"not finished after {TIMEOUT} s"),
        ("kill_grader", "crash", "killed by signal SIGKILL"),
        ("os_exit", "crash", "kernel died"),
        ("not_a_notebook", "not a notebook", "not a Jupyter notebook"),
        (
            "wrong_assignment",
            "wrong assignment",
            "Received submission for assignment '01_tensors-tensorflow'",
        ),
    ],
)
def test_failures_are_reported_with_a_reason(batch: Batch, case: str, status: str, reason: str) -> None:
    row = batch.rows[case]
    assert row["status"] == status and reason in row["error"], row
    assert float(row["total"]) == 0 and row["possible"] == "", row


def test_a_huge_print_is_cut(batch: Batch) -> None:
    row = batch.rows["huge_print"]  # a gigabyte printed, in 1000 lines of a million characters
    assert row["status"] == "output" and "output too large" in row["error"] and row["possible"] == "", row


def test_nothing_is_written_outside_the_sandbox(batch: Batch) -> None:
    assert not (batch.folder / "planted.txt").exists()
    assert not Path("/usr/planted.txt").exists()
    assert json.loads((batch.folder / "isolation" / "isolation.ipynb").read_text())["cells"]


def test_the_csv_has_stable_columns_in_question_order(batch: Batch) -> None:
    header = batch.csv_text.splitlines()[0].split(",")
    questions = header[1 : -len(exercises.CSV_LAST)]
    assert header[0] == "file" and header[-len(exercises.CSV_LAST) :] == exercises.CSV_LAST
    assert questions == batch.questions, header
    assert len({row["batch"] for row in batch.rows.values()}) == 1


def test_the_batch_stays_within_budget(batch: Batch) -> None:
    # 15 submissions, two of them running to the timeout, on however many cores this machine has.
    assert batch.seconds < 300, batch.seconds


def test_grading_refuses_without_a_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exercises, "BWRAP", str(tmp_path / "no-bwrap"))
    (tmp_path / "a.zip").write_bytes(b"")
    (tmp_path / "a.ipynb").write_text("{}")
    with pytest.raises(RuntimeError, match="refusing to grade untrusted code without a sandbox"):
        exercises.grade(tmp_path / "a.zip", [tmp_path / "a.ipynb"])


def test_unsafe_grading_without_the_sandbox_still_grades(batch: Batch) -> None:
    solved = batch.folder / "solved" / "solved.ipynb"
    script = batch.folder / "not_a_notebook" / "not_a_notebook.ipynb"
    zip_path = next(batch.folder.parent.glob("assigned/*/*/autograder/autograder.zip"))
    limits = exercises.Limits(timeout=TIMEOUT)
    graded, refused = exercises.grade(zip_path, [solved, script], limits=limits, sandbox=False)
    assert (graded.status, graded.total, graded.possible) == ("graded", batch.possible, batch.possible)
    assert refused.status == "not a notebook" and refused.total == 0


def test_an_existing_csv_is_never_overwritten(tmp_path: Path) -> None:
    table = tmp_path / "grades.csv"
    table.write_text("old\n")
    command: list[str | Path] = [sys.executable, "-m", "twice_book.exercises", "grade", "--csv", table]
    command += [table, table]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "exists" in result.stderr and table.read_text() == "old\n"


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_ctrl_c_keeps_the_results_and_leaves_nothing_behind(batch: Batch, tmp_path: Path) -> None:
    solved = batch.folder / "solved" / "solved.ipynb"
    loop = batch.folder / "infinite_loop" / "infinite_loop.ipynb"
    zip_path = next(batch.folder.parent.glob("assigned/*/*/autograder/autograder.zip"))
    table, scratch = tmp_path / "grades.csv", tmp_path / "scratch"
    scratch.mkdir()
    marker = f"TWICE_GRADING_TEST_{os.getpid()}_{time.monotonic_ns()}"
    env = {**os.environ, "TMPDIR": str(scratch), marker: "1"}
    command: list[str | Path] = [sys.executable, "-m", "twice_book.exercises", "grade", "--csv", table]
    command += ["--timeout", "300"]
    # The grader must get SIGINT as a terminal's Ctrl-C gives it. A test run started in the background
    # (nohup, `&` in a script) has SIGINT ignored, a child inherits that, and Python then installs no
    # KeyboardInterrupt handler; a handled signal, by contrast, is reset to its default in the child.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [*command, "--workers", "2", zip_path, solved, loop], env=env, stdout=subprocess.PIPE, text=True
        )
    finally:
        signal.signal(signal.SIGINT, before)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(table.read_text().splitlines() if table.exists() else []) < 2:
        time.sleep(0.5)
    assert _processes_with(marker), "the looping submission should still be running"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    rows = list(csv.DictReader(table.read_text().splitlines()))
    assert [(r["file"], float(r["total"]), r["status"]) for r in rows] == [
        (str(solved), batch.possible, "graded")
    ]
    time.sleep(1)
    assert _processes_with(marker) == [], "a sandbox outlived Ctrl-C"
    assert list(scratch.iterdir()) == [], "temporary files left behind"


def test_the_private_tmp_is_mounted_before_anything_is_bound_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bwrap mounts in order: a tmpfs on /tmp mounted after a bind under /tmp would hide the environment
    (a fresh clone under /tmp, with its venv, failed that way). The package folders are put under /tmp here."""
    assert str(tmp_path).startswith("/tmp/"), tmp_path
    monkeypatch.setattr(exercises, "_package_folder", lambda name: tmp_path / "clone" / "src")
    command = exercises._sandbox_command(tmp_path, 0, exercises.Limits(), sandbox=True)
    assert str(tmp_path / "clone" / "src") in command
    tmpfs = next(i for i, arg in enumerate(command) if arg == "--tmpfs" and command[i + 1] == "/tmp")
    for i, arg in enumerate(command[:-1]):
        if arg in ("--ro-bind", "--bind", "--ro-bind-try") and command[i + 2].startswith("/tmp/"):
            assert i > tmpfs, f"{command[i + 2]} is bound before the tmpfs on /tmp, which hides it"
    assert command.count("--tmpfs") == 1


def test_what_counts_as_a_replaced_value() -> None:
    """The fingerprint's rule (twice_book.grading_worker._replaced): tokens are type/id/code/defaults/origin."""
    from twice_book.grading_worker import _replaced

    function = "1/10/100/1000/T"
    assert not _replaced(function, function)
    assert _replaced(function, None)  # removed
    assert _replaced(function, "1/11/101/1000/S")  # a function of the submission's
    assert not _replaced(function, "1/11/101/1000/T")  # a library wrapping its own (torch.compile does)
    assert _replaced(function, "2/12///C")  # another kind of callable (functools.partial, a builtin)
    assert _replaced("3/13///C", "3/14///C")  # another callable of the same kind
    assert not _replaced("4/15///D", "4/16///D")  # a plain value changed in place (a library's setting)


def test_scores_share_a_questions_points_between_its_test_cases() -> None:
    from twice_book.grading_worker import _score

    tests = {"a": (2.0, ""), "b": (2.0, ""), "c": (2.0, "")}
    outcomes = [["a", 2.0, [["t1", True, ""], ["t2", False, "wrong"]]], ["b", 2.0, [["t", True, ""]]]]
    result = _score(outcomes, tests)
    assert result["questions"] == [["a", 1.0, 2.0], ["b", 2.0, 2.0], ["c", 0.0, 2.0]]
    assert (result["total"], result["possible"], result["failures"]) == (3.0, 6.0, ["a: wrong"])


def test_question_order_is_the_notebooks_and_otters_without_a_record(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "autograder.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("tests/b.py", "tests/a.py", "tests/c.py", "otter_config.json"):
            archive.writestr(name, "")
    assert exercises.autograder_questions(path) == ["b", "a", "c"]  # otter's (the zip's) order
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(exercises.QUESTION_ORDER, json.dumps(["c", "gone", "a"]))
    assert exercises.autograder_questions(path) == ["c", "a", "b"]  # recorded first; untested dropped


def test_a_cell_short_of_memory_is_reported_and_the_rest_graded(batch: Batch) -> None:
    row = batch.rows["memory_hog"]  # solved, then a cell that allocates 16 GiB
    assert row["status"] == "memory" and "ran out of memory (MemoryError)" in row["error"], row
    assert float(row["total"]) == batch.possible == float(row["possible"]), row


def test_grading_as_a_user_without_root(batch: Batch) -> None:
    """As an instructor without root grades: the sandbox then runs in a user namespace of its own, under
    the process limit counted for that user. CI runs as root, so the grader runs here as ``nobody``."""
    import shutil
    import tempfile

    prefix: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="twice-nonroot-"))
    try:
        zip_path = batch.folder.parent / "assigned" / "01_tensors" / "pytorch" / "autograder" / "autograder.zip"
        for case in ("solved", "isolation", "fork_bomb"):
            shutil.copyfile(batch.folder / case / f"{case}.ipynb", work / f"{case}.ipynb")
        shutil.copyfile(zip_path, work / "autograder.zip")
        if os.geteuid() == 0:
            for path in [work, *work.iterdir()]:
                os.chown(path, 65534, 65534)
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        command = [*prefix, sys.executable, "-m", "twice_book.exercises", "grade", "--csv", str(work / "g.csv")]
        command += ["--timeout", str(TIMEOUT), "--workers", "2", str(work / "autograder.zip")]
        command += [str(work / f"{case}.ipynb") for case in ("solved", "isolation", "fork_bomb")]
        env = {**os.environ, "HOME": str(work), "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=work)
        assert result.returncode == 1, result.stdout + result.stderr[-3000:]  # the fork bomb is not graded
        rows = {Path(r["file"]).stem: r for r in csv.DictReader((work / "g.csv").read_text().splitlines())}
        for case in ("solved", "isolation"):
            assert rows[case]["status"] == "graded" and float(rows[case]["total"]) == batch.possible, rows[case]
        assert rows["fork_bomb"]["status"] == "timeout", rows["fork_bomb"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
