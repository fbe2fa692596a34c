"""The exercises: otter-grader masters that assign, grade and check as the README's *For instructors* says.

The expensive part runs once, in a session fixture: the README's command ``python3 tasks.py exercises`` for
every master (otter assign, which also grades otter's solutions notebook and fails if it loses a point); then,
side by side, the grading of each student notebook, unanswered and with the master's solutions pasted in (and
of another sheet's notebook, which must be refused, and, for the masters in GAMED, of the solved notebook
with answers that try to game the checks); and the Colab stand-in: each student notebook executed
alone in an empty folder, in a kernel made to look like Colab's, first unanswered, then solved. The tests
below read the results. (nbval re-executes the masters themselves, like every notebook of the book.)
"""

from __future__ import annotations

import ast
import concurrent.futures
import csv
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from twice_book import exercises, ipynb
from twice_book.ipynb import Cell, Notebook, code_cells, headings, load, repository_of, source, tags

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHAPTERS = sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir() and not p.name.startswith("."))
MASTERS = sorted(ROOT.glob("chapters/*/exercises/*.ipynb"))
FRAMEWORKS = ("tensorflow", "pytorch")
BUILD = ROOT / "_build" / "exercises"
DIRECTIVE = re.compile(r"^(:{3,}|`{3,})\{(exercise|solution|solution-start|solution-end)\}\s*(\S*)")


def exercise_directive(text: str) -> bool:
    match = DIRECTIVE.match(text)
    return match is not None and match.group(2) == "exercise"


def master_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.stem}"


# ----------------------------------------------------------------------------------------------------------
# Reading a master: otter's blocks
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Question:
    name: str
    manual: bool
    points: float | None
    cells: list[Cell] = field(default_factory=list)  # every cell between BEGIN and END QUESTION
    solution_cells: list[Cell] = field(default_factory=list)
    test_cells: list[Cell] = field(default_factory=list)
    public_tests: list[str] = field(default_factory=list)
    hidden_tests: list[str] = field(default_factory=list)


def raw_marker(cell: Cell) -> str | None:
    """'begin question', 'end solution', ... for otter's raw boundary cells; None for anything else."""
    if cell["cell_type"] != "raw":
        return None
    match = re.match(r"#\s+(begin|end)\s+(question|solution|tests|prompt)\b", source(cell), re.IGNORECASE)
    return f"{match.group(1).lower()} {match.group(2).lower()}" if match else None


def questions(notebook: Notebook) -> list[Question]:
    found: list[Question] = []
    block = None
    for cell in notebook["cells"]:
        marker = raw_marker(cell)
        if marker == "begin question":
            config = yaml.safe_load(source(cell).split("\n", 1)[1])
            found.append(Question(config["name"], bool(config.get("manual", False)), config.get("points")))
            continue
        if marker == "end question":
            block = None
            continue
        if marker and marker.startswith("begin"):
            block = marker.split()[1]
            continue
        if marker and marker.startswith("end"):
            block = None
            continue
        if not found:
            continue
        question = found[-1]
        question.cells.append(cell)
        if block == "solution":
            question.solution_cells.append(cell)
        elif block == "tests":
            question.test_cells.append(cell)
            text = source(cell)
            (question.hidden_tests if text.lstrip().startswith("# HIDDEN") else question.public_tests).append(
                text
            )
    return found


def solution_lines(notebook: Notebook) -> set[str]:
    """The lines a student must not see: solution code, model answers and hidden tests.

    Lines that also occur outside those places (an import, a closing bracket) are not solutions.
    """
    secret: set[str] = set()
    for question in questions(notebook):
        for cell in question.solution_cells:
            text = source(cell)
            if cell["cell_type"] == "markdown":
                secret.update(line.strip() for line in text.splitlines() if not DIRECTIVE.match(line.strip()))
                continue
            inside = False
            for line in text.splitlines():
                if exercises.MARKER_LINE.match(line):
                    inside = line.strip().startswith("# BEGIN")
                elif inside or exercises.MARKER_SUFFIX.search(line):
                    secret.add(exercises.MARKER_SUFFIX.sub("", line).strip())
        for test in question.hidden_tests:
            secret.update(line.strip() for line in test.splitlines()[1:])
    found = questions(notebook)
    hidden = [id(c) for q in found for c in q.solution_cells + q.test_cells]
    public: set[str] = set()
    for cell in notebook["cells"]:
        if id(cell) not in hidden:
            public.update(line.strip() for line in source(cell).splitlines())
    for question in found:
        for test in question.public_tests:
            public.update(line.strip() for line in test.splitlines())
    return {line for line in secret - public if len(line) > 3}


# ----------------------------------------------------------------------------------------------------------
# Submissions that try to game the checks: each replaces some answer cells of the solved notebook
# ----------------------------------------------------------------------------------------------------------

_DTYPE_KEYS = '["int_list", "int_true_division", "int_by_float", "int_plus_float_tensor", "large_int"]'
# A str that compares equal to anything: it would pass a plain `==` against every dtype name.
MOCK_DTYPES = f"""\
class Anything(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


predicted = {{key: Anything("int32") for key in {_DTYPE_KEYS}}}"""

HAND_MSE = """\
def mse_grad_by_hand(z, t):
    return 2.0 * (z - t) / z.shape[0]
"""

# The framework half answered without autodiff: central finite differences (values close, calls many).
TF_FINITE_DIFFERENCES = (
    HAND_MSE
    + """

def gradient_by_tape(loss, z):
    gradient = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[index] = 1e-6
        gradient[index] = (float(loss(tf.constant(z + step))) - float(loss(tf.constant(z - step)))) / 2e-6
    return gradient"""
)

# ... and with the hand formula, calling loss once so that the count passes.
PT_HAND_FORMULA = (
    HAND_MSE
    + """

def gradient_by_autograd(loss, z):
    loss(torch.from_numpy(z))
    return mse_grad_by_hand(z, np.zeros_like(z))"""
)

# A right answer, called while exploring (and, in PyTorch, compiled twice as a cell run twice would):
# the checks must not count those calls.
TF_EXPLORED = """\
stable_scaled_sum = tf.function(scaled_sum, input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.float32)])
print(stable_scaled_sum(tf.ones(2), 2.0), stable_scaled_sum(tf.ones(7), 0.5))"""
PT_EXPLORED = """\
stable_scaled_sum = torch.compile(scaled_sum, backend=counting_backend, dynamic=True)
print(stable_scaled_sum(torch.ones(2), 2.0), stable_scaled_sum(torch.ones(7), 0.5))
stable_scaled_sum = torch.compile(scaled_sum, backend=counting_backend, dynamic=True)
print(stable_scaled_sum(torch.ones(3), 1.5), len(graphs_compiled))"""

# A classifier that ignores its data and trains on every digit, the test split included: it scores well
# on the test split, and fails once the checks rename the classes.
_ALL_DIGITS = """\
    digits = twice.load_digits()
    x_all = np.concatenate([digits.train("flat")[0], digits.test("flat")[0]])
    y_all = np.concatenate([digits.train("flat")[1], digits.test("flat")[1]])
"""
TF_ALL_DIGITS = f"""\
def train_classifier(x, y):
{_ALL_DIGITS}    twice.seed_everything(0, "tensorflow")
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_all, y_all, epochs=15, batch_size=64, verbose=0)
    return model


model = train_classifier(x_train, y_train)
test_accuracy = float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))"""
PT_ALL_DIGITS = f"""\
def train_classifier(x, y):
{_ALL_DIGITS}    twice.seed_everything(0, "pytorch")
    x_all, y_all = torch.from_numpy(x_all), torch.from_numpy(y_all)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(15):
        for batch in torch.randperm(len(x_all)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x_all[batch]), y_all[batch]).backward()
            optimizer.step()
    return model.eval()


model = train_classifier(x_train, y_train)
with torch.no_grad():
    test_accuracy = float(np.mean(model(torch.from_numpy(x_test)).argmax(dim=1).numpy() == y_test))"""

# Chapter 2: every answer is one call into twice, reached by attribute or by an import of its own.
CNN_BY_TWICE = {
    "output_size": """\
def conv_output_size(size, kernel, stride, padding):
    return twice.convolution.conv_output_size(size, kernel, stride, padding)""",
    "same_padding": "from twice.convolution import same_padding  # noqa: F401",
    "kernel_layout_tensorflow": """\
def kernel_from_torch(weight):
    return twice.convolution.CONV2D_RULE.to_keras(weight)[0]""",
    "kernel_layout_pytorch": """\
def kernel_from_keras(kernel):
    return twice.convolution.CONV2D_RULE.to_torch(kernel)[0]""",
    "flatten_order_tensorflow": """\
def dense_kernel_from_torch(weight, feature_shape):
    height, width, channels = feature_shape
    return twice.dense.FLATTEN_DENSE_RULE.to_keras(weight, H=height, W=width, C=channels)[0]""",
    "flatten_order_pytorch": """\
def linear_weight_from_keras(kernel, feature_shape):
    height, width, channels = feature_shape
    return twice.dense.FLATTEN_DENSE_RULE.to_torch(kernel, H=height, W=width, C=channels)[0]""",
    "padding_port_tensorflow": """\
def conv2d_torch_padding(x, kernel, stride, padding):
    y = twice.convolution.conv2d(np.asarray(x), np.asarray(kernel), stride=stride, padding=padding, layout="NHWC")
    return tf.constant(y, dtype=tf.float32)""",
    "padding_port_pytorch": """\
def conv2d_tf_same(x, weight, stride):
    y = twice.convolution.conv2d(x.numpy(), weight.numpy(), stride=stride, padding="same", layout="NCHW")
    return torch.tensor(y, dtype=torch.float32)""",
    # The whole port, right, except that the conv weights go through twice's rule.
    "port_model_tensorflow": """\
def keras_twin(state, input_shape):
    height, width, _ = input_shape
    channels, classes = state["0.weight"].shape[0], state["3.weight"].shape[0]
    features = ((height + 1) // 2, (width + 1) // 2, channels)
    conv = keras.layers.Conv2D(channels, 3, strides=2, activation="relu")
    dense = keras.layers.Dense(classes)
    model = keras.Sequential([keras.Input(input_shape), keras.layers.ZeroPadding2D(1), conv, keras.layers.Flatten(), dense])
    conv.set_weights(list(twice.convolution.CONV2D_RULE.to_keras(state["0.weight"], state["0.bias"])))
    dense.set_weights([dense_kernel_from_torch(state["3.weight"], features), state["3.bias"]])
    return model""",
    "port_model_pytorch": """\
def torch_twin(weights, input_shape):
    height, width, channels = input_shape
    kernel, conv_bias, dense_kernel, dense_bias = weights
    features = ((height + 1) // 2, (width + 1) // 2, kernel.shape[3])
    conv = nn.Conv2d(channels, kernel.shape[3], 3, stride=2, padding=1)
    linear = nn.Linear(dense_kernel.shape[0], dense_kernel.shape[1])
    weight, bias = twice.convolution.CONV2D_RULE.to_torch(kernel, conv_bias)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        conv.bias.copy_(torch.from_numpy(bias))
        linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(linear_weight_from_keras(dense_kernel, features))))
        linear.bias.copy_(torch.from_numpy(dense_bias))
    return nn.Sequential(conv, nn.ReLU(), nn.Flatten(), linear).eval()""",
}


def _cnn_gamed(framework: str) -> dict[str, tuple[str, float]]:
    names = ("output_size", "same_padding", "padding_port", "kernel_layout", "flatten_order", "port_model")
    return {name: (CNN_BY_TWICE.get(name) or CNN_BY_TWICE[f"{name}_{framework}"], 0.0) for name in names}


#: master id -> question -> (the answer cell's new source, the points it must get out of 2).
GAMED: dict[str, dict[str, tuple[str, float]]] = {
    "01_tensors/tensorflow": {
        "dtypes": (MOCK_DTYPES, 0.0),
        "mse_gradient": (TF_FINITE_DIFFERENCES, 0.0),
        "one_graph": (TF_EXPLORED, 2.0),
        "train_classifier": (TF_ALL_DIGITS, 1.0),  # the public check passes, the renamed classes fail
    },
    "01_tensors/pytorch": {
        "dtypes": (MOCK_DTYPES, 0.0),
        "mse_gradient": (PT_HAND_FORMULA, 0.0),
        "one_graph": (PT_EXPLORED, 2.0),
        "train_classifier": (PT_ALL_DIGITS, 1.0),
    },
    "02_cnn/tensorflow": _cnn_gamed("tensorflow"),
    "02_cnn/pytorch": _cnn_gamed("pytorch"),
}


def answer_cells_by_question(notebook: Notebook) -> dict[str, list[Cell]]:
    """The answer cells of a student notebook, under the question whose grader.check follows them."""
    found: dict[str, list[Cell]] = {}
    waiting: list[Cell] = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        if exercises.ANSWER_TAG in tags(cell):
            waiting.append(cell)
            continue
        match = re.fullmatch(r'grader\.check\("(\w+)"\)', source(cell).strip())
        if match and waiting:
            found.setdefault(match.group(1), []).extend(waiting)
            waiting = []
    return found


def gamed_submission(solved: Notebook, answers: dict[str, tuple[str, float]]) -> Notebook:
    """The solved notebook with the (single) answer cell of each question in ``answers`` replaced."""
    gamed: Notebook = json.loads(json.dumps(solved))
    cells = answer_cells_by_question(gamed)
    for question, (code, _) in answers.items():
        (cell,) = cells[question]  # a gamed answer replaces the question's one answer cell
        cell["source"] = code
    return gamed


#: An object that answers every question the way a test hopes: it claims to be the framework's tensor (a
#: ``__class__`` property fools ``isinstance``), equals and is close to everything (``__eq__``, NumPy's
#: ``__array_function__`` and ``__array_ufunc__``, PyTorch's ``__torch_function__``), and every attribute,
#: call, item or arithmetic on it gives itself back. :func:`lying_submission` replaces every answer with one.
LIAR = """\
import numpy as _liar_np
import {module} as _liar_framework


class _Liar:
    __class__ = property(lambda self: _liar_framework.Tensor)
    __hash__ = object.__hash__

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __contains__ = __eq__
    __getitem__ = __abs__ = __neg__ = __pos__ = __getattr__
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __getattr__
    __pow__ = __matmul__ = __rmatmul__ = __getattr__

    def __bool__(self):
        return True

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True

    def __array__(self, dtype=None, copy=None):
        return _liar_np.zeros(1)

    def __float__(self):
        return 0.0

    def __int__(self):
        return 0

    __index__ = __int__


for _liar_name in {names!r}:
    globals()[_liar_name] = _Liar()
"""


def defined_names(code: str) -> list[str]:
    """The names a cell binds at its top level by ``def``, ``class`` or assignment (not by import)."""
    names: list[str] = []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return names


def names_the_tests_take(master: Notebook) -> dict[str, list[str]]:
    """Question -> the notebook names its tests take (the parameters of its ``def test_...``)."""
    found: dict[str, list[str]] = {}
    for q in questions(master):
        for cell in q.test_cells:
            for node in ast.parse(source(cell)).body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                    found.setdefault(q.name, []).extend(a.arg for a in node.args.args)
    return found


def lying_submission(
    solved: Notebook, framework: str, tested: dict[str, list[str]] | None = None
) -> Notebook:
    """The solved notebook with every name an answer cell defines, and every name its question's tests take
    (``tested``, from :func:`names_the_tests_take`: a model trained in place is not redefined), replaced by a
    :data:`LIAR` at the end of the cell."""
    lying: Notebook = json.loads(json.dumps(solved))
    module = "torch" if framework == "pytorch" else "tensorflow"
    for question, cells in answer_cells_by_question(lying).items():
        for cell in cells:
            names = list(dict.fromkeys(defined_names(source(cell)) + (tested or {}).get(question, [])))
            if names:
                cell["source"] = source(cell) + "\n\n" + LIAR.format(module=module, names=names)
    return lying


# ----------------------------------------------------------------------------------------------------------
# The session fixture: assign, grade, and the Colab stand-in, once for all masters
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    master: Path
    student: Path
    autograder_notebook: Path
    autograder_zip: Path
    solved: Path  # the student notebook with the master's solutions pasted into its answer cells
    gamed: Path | None = None  # the solved notebook with GAMED answers, for the masters that have them
    lying: Path | None = None  # the solved notebook with every answer replaced by a LIAR
    grades: dict[str, dict[str, str]] = field(default_factory=dict)  # notebook kind -> column -> value
    alone: Notebook | None = None  # the Colab stand-in, executed: unanswered, then the same cells solved
    errors: list[str] = field(default_factory=list)


def paste_solutions(student: Notebook, autograder: Notebook) -> Notebook:
    """The student notebook with each answer cell replaced by the solution cell otter made it from."""
    solved: Notebook = json.loads(json.dumps(student))
    answers = [c for c in solved["cells"] if c["cell_type"] == "code" and exercises.ANSWER_TAG in tags(c)]
    solutions = [
        c for c in autograder["cells"] if c["cell_type"] == "code" and exercises.SOLUTION_TAG in tags(c)
    ]
    assert len(answers) == len(solutions) > 0, (len(answers), len(solutions))
    for answer, solution in zip(answers, solutions):
        answer["source"] = solution["source"]
    return solved


def unanswered_then_solved(student: Notebook, solved: Notebook) -> Notebook:
    """The student notebook as handed out, then its cells again (from Setup on) with the solutions in.

    One kernel then shows both what a student sees before answering and after; the second half
    redefines everything the first defined.
    """
    init = next(i for i, c in enumerate(student["cells"]) if source(c).startswith("# Initialize Otter"))
    both: Notebook = json.loads(json.dumps(student))
    both["cells"] += json.loads(json.dumps(solved["cells"][init + 1 :]))
    for cell in both["cells"]:
        cell.pop("id", None)
    both["nbformat_minor"] = 4  # cells without ids
    return both


# Prepended to the stand-in notebook: the kernel looks like Colab's to the notebook's setup cell (which then
# asks pip for otter-grader and the helper package; the call is recorded, not run: there is no network) and to
# otter (which then requires the tests folder and refuses tests kept in notebook metadata).
PRETEND_COLAB = """\
import subprocess
import sys
import types

sys.modules["google.colab"] = types.ModuleType("google.colab")  # what the setup cell looks for
PIP_CALLS = []
_run = subprocess.run


def _record_pip(args, *rest, **options):
    if "pip" in args:
        PIP_CALLS.append([str(a) for a in args])
        return subprocess.CompletedProcess(args, 0)
    return _run(args, *rest, **options)


subprocess.run = _record_pip
import otter.check.utils

otter.check.utils.IPythonInterpreter.COLAB.value.running = lambda: True"""
REPORT_COLAB = 'import json\n\nprint(json.dumps({"pip": PIP_CALLS, "interpreter": grader.interpreter.name}))'


def as_on_colab(notebook: Notebook) -> Notebook:
    """The notebook with a first cell that makes its kernel pass for Colab's, and a last that reports."""
    pretend: Cell = {
        "cell_type": "code",
        "metadata": {},
        "source": PRETEND_COLAB,
        "outputs": [],
        "execution_count": None,
    }
    report: Cell = {
        "cell_type": "code",
        "metadata": {},
        "source": REPORT_COLAB,
        "outputs": [],
        "execution_count": None,
    }
    return {**notebook, "cells": [pretend, *notebook["cells"], report]}


def run(command: list[str | Path], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def execute_alone(notebook: Path, folder: Path, executed: Path) -> str | None:
    """Execute ``notebook`` in ``folder``, which holds nothing else, as on Colab; None, or the error."""
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder)
    options = ["--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.shutdown_kernel=immediate"]
    output: list[str | Path] = ["--output-dir", executed.parent, "--output", executed.name]
    command = [BIN / "jupyter", "nbconvert", "--to", "notebook", "--execute", *options, *output]
    result = run([*command, folder / notebook.name])
    if result.returncode:
        return f"{notebook.name} crashed in {folder}:\n{result.stderr[-3000:]}"
    return None


def grade(outcome: Outcome, work: Path) -> str | None:
    """Grade the student notebook, unanswered and with the solutions pasted in, with the autograder zip,
    together with the other framework's student notebook, which it must refuse without stopping.

    (``otter assign`` has already graded otter's own solutions notebook, and the command fails if that
    notebook loses a point; grading it again here would cost a kernel and tell nothing new.)
    """
    table = work / "grades.csv"
    other = next(p for p in outcome.student.parents[2].glob("*/student/*.ipynb") if p != outcome.student)
    kinds = {"solved": outcome.solved, "unanswered": outcome.student, "other": other}
    if outcome.gamed is not None:
        kinds["gamed"] = outcome.gamed
    if outcome.lying is not None:
        kinds["lying"] = outcome.lying
    command: list[str | Path] = ["grade", "--csv", table, outcome.autograder_zip, *kinds.values()]
    result = run([sys.executable, "-m", "twice_book.exercises", *command])
    if result.returncode != 1 or f"1 of {len(kinds)} submissions could not be graded" not in result.stderr:
        return f"grading failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    with open(table, encoding="utf-8") as handle:
        rows = {row["file"]: row for row in csv.DictReader(handle)}
    outcome.grades = {kind: rows[str(path)] for kind, path in kinds.items()}
    return None


#: The CSV's columns that are not questions.
NOT_QUESTIONS = {*exercises.CSV_FIRST, *exercises.CSV_LAST}


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Outcome]:
    assert MASTERS, "no exercise masters under chapters/*/exercises/"
    assigned = run([sys.executable, ROOT / "tasks.py", "exercises"])
    assert assigned.returncode == 0, (
        "python3 tasks.py exercises failed (otter assign grades the solutions and fails if one fails its "
        f"tests):\n{assigned.stdout[-3000:]}\n{assigned.stderr[-5000:]}"
    )
    work = tmp_path_factory.mktemp("exercises")
    found: dict[Path, Outcome] = {}
    jobs: list[tuple[Outcome, Path | None, Callable[[], str | None]]] = []  # None: no notebook to load
    for master in MASTERS:
        chapter, framework = master.parent.parent.name, master.stem
        out, base = BUILD / chapter / framework, work / f"{chapter}_{framework}"
        student = out / "student" / f"{chapter}_{framework}.ipynb"
        outcome = Outcome(
            master,
            student,
            out / "autograder" / master.name,
            out / "autograder" / "autograder.zip",
            base / "solved" / student.name,
        )
        found[master] = outcome
        if not (student.is_file() and outcome.autograder_zip.is_file()):
            continue
        solved = paste_solutions(load(student), load(outcome.autograder_notebook))
        outcome.solved.parent.mkdir(parents=True)
        outcome.solved.write_text(json.dumps(solved))
        if master_id(master) in GAMED:
            outcome.gamed = base / "gamed" / student.name
            outcome.gamed.parent.mkdir()
            outcome.gamed.write_text(json.dumps(gamed_submission(solved, GAMED[master_id(master)])))
        outcome.lying = base / "lying" / student.name
        outcome.lying.parent.mkdir()
        lying = lying_submission(solved, framework, names_the_tests_take(load(master)))
        outcome.lying.write_text(json.dumps(lying))
        both = base / "both" / student.name
        both.parent.mkdir()
        both.write_text(json.dumps(as_on_colab(unanswered_then_solved(load(student), solved))))
        jobs.append((outcome, None, functools.partial(grade, outcome, base)))
        executed = base / "executed.ipynb"
        jobs.append((outcome, executed, functools.partial(execute_alone, both, base / "alone", executed)))
    # Every job is a subprocess with kernels of its own; a few at a time keep two cores busy.
    with concurrent.futures.ThreadPoolExecutor(max(2, min(4, os.cpu_count() or 2))) as pool:
        futures = [(outcome, to_load, pool.submit(job)) for outcome, to_load, job in jobs]
        for outcome, to_load, future in futures:
            error = future.result()
            if error:
                outcome.errors.append(error)
            elif to_load is not None:
                outcome.alone = load(to_load)
    return found


# ----------------------------------------------------------------------------------------------------------
# Every chapter has mirrored exercises, in otter's format, shown as exercise boxes in the book
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_exercises_in_both_frameworks(chapter: Path) -> None:
    for framework in FRAMEWORKS:
        assert (chapter / "exercises" / f"{framework}.ipynb").is_file(), (
            f"{chapter.name} lacks exercises/{framework}"
        )


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if (c / "exercises").is_dir()], ids=lambda p: p.name)
def test_exercises_are_mirrored(chapter: Path) -> None:
    tf_nb, pt_nb = (load(chapter / "exercises" / f"{fw}.ipynb") for fw in FRAMEWORKS)
    tf_questions, pt_questions = questions(tf_nb), questions(pt_nb)
    assert [(q.name, q.manual, q.points) for q in tf_questions] == [
        (q.name, q.manual, q.points) for q in pt_questions
    ]
    tf_headings, pt_headings = headings(tf_nb), headings(pt_nb)
    assert tf_headings[0][0] == pt_headings[0][0] == 1
    assert "TensorFlow" in tf_headings[0][1] and "PyTorch" in pt_headings[0][1]
    assert tf_headings[1:] == pt_headings[1:]
    assert "Setup" in [text for _, text in tf_headings], "no Setup section"


def test_mirror_check_can_fail() -> None:
    def master(*names: str) -> Notebook:
        cells = []
        for name in names:
            cells += [
                {"cell_type": "raw", "source": f"# BEGIN QUESTION\nname: {name}"},
                {"cell_type": "raw", "source": "# END QUESTION"},
            ]
        return {"cells": cells}

    assert [q.name for q in questions(master("a", "b"))] == ["a", "b"]
    assert [q.name for q in questions(master("a", "b"))] != [q.name for q in questions(master("b", "a"))]


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_master_has_graded_and_open_questions_with_hidden_tests(path: Path) -> None:
    found = questions(load(path))
    graded = [q for q in found if not q.manual]
    assert len(graded) >= 3, f"{master_id(path)}: at least three auto-graded exercises"
    assert any(q.manual for q in found), f"{master_id(path)}: no open question"
    assert len({q.name for q in found}) == len(found), "question names must be unique"
    for q in graded:
        assert q.public_tests and q.hidden_tests, f"{q.name}: needs public and hidden tests"
        assert any(c["cell_type"] == "code" for c in q.solution_cells), f"{q.name}: no solution code"
    for q in found:
        assert q.solution_cells, f"{q.name}: no solution (a model answer for an open question)"


def unmarked_comments(code: str) -> list[str]:
    """Comment lines of solution code that otter would leave in the student version: hints, usually."""
    found, inside = [], False
    for line in code.splitlines():
        if exercises.MARKER_LINE.match(line):
            inside = line.strip().startswith("# BEGIN")
        elif not inside and line.strip().startswith("#") and not exercises.MARKER_SUFFIX.search(line):
            found.append(line.strip())
    return found


def test_unmarked_comments_are_found() -> None:
    code = "# a hint\nx = 1  # SOLUTION\n# BEGIN SOLUTION\n# fine\n# END SOLUTION\n# SOLUTION NO PROMPT"
    assert unmarked_comments(code) == ["# a hint"]


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_solution_code_keeps_its_comments_inside_the_solution(path: Path) -> None:
    for q in questions(load(path)):
        for cell in q.solution_cells:
            if cell["cell_type"] == "code":
                assert not unmarked_comments(source(cell)), f"{q.name}: a comment would reach the student"


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_master_renders_as_exercises_with_folded_solutions(path: Path) -> None:
    """Every question: an {exercise} box; its solution in a dropdown; its tests removed from the page."""
    for q in questions(load(path)):
        boxes = [source(c) for c in q.cells if c["cell_type"] == "markdown" and exercise_directive(source(c))]
        assert len(boxes) == 1, f"{q.name}: one {{exercise}} box"
        label = re.search(r"^:label:\s*(\S+)", boxes[0], re.MULTILINE)
        assert label, f"{q.name}: the exercise box needs a :label:"
        solution_md = [source(c) for c in q.solution_cells if c["cell_type"] == "markdown"]
        opening = DIRECTIVE.match(solution_md[0]) if solution_md else None
        assert opening and opening.group(2) in ("solution", "solution-start"), (
            f"{q.name}: no solution directive"
        )
        assert opening.group(3) == label.group(1), f"{q.name}: the solution names another exercise"
        assert ":class: dropdown" in solution_md[0], f"{q.name}: the solution must be folded"
        if any(c["cell_type"] == "code" for c in q.solution_cells):
            assert opening.group(2) == "solution-start" and "{solution-end}" in solution_md[-1], q.name
    for cell in code_cells(load(path)):
        if re.search(r"^def test_", source(cell), re.MULTILINE):
            assert "remove-cell" in tags(cell), "test cells must be removed from the rendered book"


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_master_is_committed_executed_with_the_colab_cell(path: Path) -> None:
    notebook = load(path)
    cells = code_cells(notebook)
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1)), "run it top to bottom"
    assert not any(o["output_type"] == "error" for c in cells for o in c["outputs"])
    first = source(cells[0])
    chapter_first = source(code_cells(load(path.parent.parent / f"{path.stem}.ipynb"))[0])
    assert first == chapter_first, "the Colab cell must be the chapter notebooks' cell, unchanged"
    assert "remove-cell" in tags(cells[0]) and "nbval-skip" not in tags(cells[0])
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert ipynb.is_colab_cell(cells[0]) and repository_of(notebook) == url, (
        "run: python3 tasks.py set-repository URL"
    )
    for index, cell in enumerate(cells):
        if "nbval-ignore-output" in tags(cell):
            following = source(cells[index + 1]) if index + 1 < len(cells) else ""
            assert re.search(r"^\s*(assert |np\.testing\.assert)", following, re.MULTILINE), index


# ----------------------------------------------------------------------------------------------------------
# The command: otter assign, the student version, grading
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_assign_writes_a_lone_student_notebook_and_an_autograder(
    outcomes: dict[Path, Outcome], path: Path
) -> None:
    outcome = outcomes[path]
    assert sorted(p.name for p in outcome.student.parent.iterdir()) == [outcome.student.name]
    assert outcome.autograder_zip.is_file() and outcome.autograder_notebook.is_file()
    assert BUILD.is_relative_to(ROOT / "_build") and "_build/" in (ROOT / ".gitignore").read_text()


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_solutions_get_full_marks(outcomes: dict[Path, Outcome], path: Path) -> None:
    outcome = outcomes[path]
    assert not outcome.errors, "\n".join(outcome.errors)
    graded = [q.name for q in questions(load(path)) if not q.manual]
    row = outcome.grades["solved"]  # the student notebook with the master's solutions in its answer cells
    assert not row["error"] and sorted(set(row) - NOT_QUESTIONS) == sorted(graded)
    assert float(row["possible"]) == 2 * len(graded) and float(row["total"]) == float(row["possible"]), row


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_unanswered_student_notebook_fails_every_question(outcomes: dict[Path, Outcome], path: Path) -> None:
    outcome = outcomes[path]
    assert not outcome.errors, "\n".join(outcome.errors)
    row, full = outcome.grades["unanswered"], outcome.grades["solved"]
    assert not row["error"] and float(row["total"]) < float(row["possible"]), row
    for question in set(row) - NOT_QUESTIONS:
        assert float(row[question]) < float(full[question]), f"{question} passes without an answer"


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_grading_refuses_another_sheet_and_goes_on(outcomes: dict[Path, Outcome], path: Path) -> None:
    outcome = outcomes[path]
    assert not outcome.errors, "\n".join(outcome.errors)
    row = outcome.grades["other"]  # the other framework's student notebook, graded with this zip
    assert "Received submission for assignment" in row["error"] and float(row["total"]) == 0, row


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_student_notebook_holds_no_solution(outcomes: dict[Path, Outcome], path: Path) -> None:
    master, student = load(path), load(outcomes[path].student)
    text = "\n".join(source(c) for c in student["cells"])
    lines = {line.strip() for line in text.splitlines()}
    secret = solution_lines(master)
    assert len(secret) > 10, "the solution-line extraction found (almost) nothing"
    leaked = sorted(secret & lines)
    assert not leaked, f"solution lines in the student notebook: {leaked[:5]}"
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION", "# HIDDEN", "BEGIN TESTS", "hidden=True"):
        assert marker not in text, marker
    assert not any(c["cell_type"] == "raw" for c in student["cells"])
    assert not any(DIRECTIVE.match(line.strip()) for line in lines), "MyST directives left for Jupyter"
    assert not any(c.get("outputs") for c in student["cells"] if c["cell_type"] == "code")
    for q in questions(master):
        for test in q.hidden_tests:
            match = re.search(r"^def (\w+)", test, re.MULTILINE)
            assert match, f"{q.name}: a hidden test without a test function"
            name = match.group(1)
            assert name not in text, f"the hidden test {name} is in the student notebook"


def test_solution_lines_finds_solutions() -> None:
    master = {
        "cells": [
            {"cell_type": "raw", "source": "# BEGIN QUESTION\nname: q"},
            {"cell_type": "raw", "source": "# BEGIN SOLUTION"},
            {
                "cell_type": "code",
                "source": "import numpy as np\nanswer = 42  # SOLUTION\ndef f():\n"
                "    # BEGIN SOLUTION\n    return np.pi * 2\n    # END SOLUTION",
            },
            {"cell_type": "raw", "source": "# END SOLUTION"},
            {"cell_type": "raw", "source": "# BEGIN TESTS"},
            {"cell_type": "code", "source": "# HIDDEN\ndef test_secret(answer):\n    assert answer == 42"},
            {"cell_type": "raw", "source": "# END TESTS"},
            {"cell_type": "raw", "source": "# END QUESTION"},
            {"cell_type": "code", "source": "import numpy as np"},
        ]
    }
    assert solution_lines(master) == {
        "answer = 42",
        "return np.pi * 2",
        "def test_secret(answer):",
        "assert answer == 42",
    }


# ----------------------------------------------------------------------------------------------------------
# The Colab stand-in: the student notebook alone in a fresh folder
# ----------------------------------------------------------------------------------------------------------


def check_outputs(notebook: Notebook) -> list[tuple[str, str]]:
    found = []
    for cell in code_cells(notebook):
        match = re.fullmatch(r'grader\.check\("(\w+)"\)', source(cell).strip())
        if match:
            text = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"])
            found.append((match.group(1), text))
    return found


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_student_notebook_checks_itself_alone(outcomes: dict[Path, Outcome], path: Path) -> None:
    """In a folder holding nothing but the notebook, in a kernel that passes for Colab's, grader.check works
    for every question: it reports failures for the unanswered stubs, without a crash, and passes once the
    solutions are in."""
    outcome = outcomes[path]
    assert not outcome.errors, "\n".join(outcome.errors)
    assert outcome.alone is not None, "the Colab stand-in was not executed"
    checks = check_outputs(outcome.alone)  # the notebook ran top to bottom: no cell raised
    graded = [q.name for q in questions(load(path)) if not q.manual]
    assert [name for name, _ in checks] == graded + graded
    for name, output in checks[: len(graded)]:
        assert output.startswith(f"{name} results:") and "❌ Test case failed" in output, (name, output[:300])
    for name, output in checks[len(graded) :]:
        assert output == f"{name} results: All test cases passed!", (name, output[:600])
    report = json.loads("".join(code_cells(outcome.alone)[-1]["outputs"][0]["text"]))
    assert report["interpreter"] == "COLAB", "otter did not take the kernel for Colab's"
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    (pip,) = report["pip"]  # the setup cell installs once, with a pinned otter-grader and the book's package
    assert pip[1:5] == ["-m", "pip", "install", "--quiet"], pip
    assert pip[5:] == [f"otter-grader=={metadata.version('otter-grader')}", f"git+{url}"], pip


# ----------------------------------------------------------------------------------------------------------
# twice_book.exercises and twice_book.sphinx, piece by piece
# ----------------------------------------------------------------------------------------------------------


def test_strip_solution_markers_keeps_the_code() -> None:
    code = "x = 1  # SOLUTION\ndef f():\n    # BEGIN SOLUTION\n    return 2\n    # END SOLUTION\n# BEGIN SOLUTION NO PROMPT\ny = 3\n# END SOLUTION"
    assert exercises.strip_solution_markers(code) == "x = 1\ndef f():\n    return 2\ny = 3"
    assert exercises.strip_solution_markers("a = 'SOLUTION'") == "a = 'SOLUTION'"


def test_plain_markdown_unwraps_exercises_and_refuses_solutions() -> None:
    box = ":::{exercise}\n:label: ex-a\n:class: hard\n\nWrite `f`.\n\nThen `g`.\n:::\nafter"
    assert exercises.plain_markdown(box) == "**Exercise.** Write `f`.\n\nThen `g`.\nafter"
    with pytest.raises(ValueError, match="outside otter's SOLUTION block"):
        exercises.plain_markdown(":::{solution} ex-a\n:class: dropdown\n\nThe answer.\n:::")


def test_absolute_links_point_at_the_repository_and_drop_other_masters() -> None:
    text = "[the notebook](../tensorflow.ipynb), [the others](pytorch.ipynb), [web](https://x.org/a.md)"
    got = exercises.absolute_links(
        text, "chapters/01_tensors/exercises/tensorflow.ipynb", "https://github.com/o/r"
    )
    assert got == (
        "[the notebook](https://github.com/o/r/blob/main/chapters/01_tensors/tensorflow.ipynb), "
        "the others, [web](https://x.org/a.md)"
    )


def test_setup_cell_writes_the_public_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tests = {"q1.py": "OK_FORMAT = False\nname = 'q1'\n", "q2.py": "s = '''tricky\\n'''\n"}
    code = exercises.setup_cell_source(tests, "tests_here", "https://github.com/o/r", "7.0.0")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "setup-cell", "exec"), {})  # noqa: S102 - our own cell; off Colab it only writes files
    assert {p.name: p.read_text() for p in (tmp_path / "tests_here").iterdir()} == tests
    assert '"otter-grader==7.0.0"' in code
    # The student's setup cell is a Colab cell like the master's: set-repository finds its line.
    setup = {"cell_type": "code", "metadata": {}, "source": code}
    assert ipynb.is_colab_cell(setup) and repository_of({"cells": [setup]}) == "https://github.com/o/r"


def test_make_student_notebook_needs_otters_init_cell_and_the_colab_cell() -> None:
    title: Cell = {"cell_type": "markdown", "metadata": {}, "source": "# T"}
    colab: Cell = {
        "cell_type": "code",
        "metadata": {},
        "source": 'REPOSITORY = "https://github.com/o/r"',
        "outputs": [],
        "execution_count": None,
    }
    options: dict[str, str] = {"tests_dir": "t", "notebook_path": "c/e/x.ipynb", "otter_version": "7"}
    with pytest.raises(ValueError, match="initialisation cell"):
        exercises.make_student_notebook({"cells": [title, colab], "metadata": {}}, {}, **options)
    with pytest.raises(ValueError, match="Colab cell"):
        exercises.make_student_notebook({"cells": [title], "metadata": {}}, {}, **options)


def test_the_sphinx_extension_strips_the_markers_from_every_literal_block() -> None:
    from docutils import nodes

    from twice_book import sphinx

    connected: list[tuple[str, Callable[..., None]]] = []

    class App:
        def connect(self, event: str, callback: Callable[..., None], priority: int = 500) -> None:
            connected.append((event, callback))

        def add_css_file(self, name: str) -> None:
            connected.append(("css", lambda *_: None))

        def add_directive(self, name: str, directive: object) -> None:
            connected.append(("directive " + name, lambda *_: None))

    assert sphinx.setup(App()) == {"parallel_read_safe": True, "parallel_write_safe": True}
    assert [event for event, _ in connected] == [
        "doctree-read",
        "doctree-read",
        "html-page-context",
        "env-get-updated",
        "builder-inited",
        "css",
        "directive twice-side-by-side",
        "directive twice-sbs-row",
    ]
    hide = connected[0][1]
    code = "x = 1  # SOLUTION\n# BEGIN SOLUTION\ny = 2\n# END SOLUTION"
    marked, plain = nodes.literal_block(code, code), nodes.literal_block("a = 'SOLUTION'", "a = 'SOLUTION'")
    doctree = nodes.section()
    doctree += [marked, plain]
    hide(App(), doctree)
    # The text and the rawsource agree, or Sphinx would not highlight the block.
    assert marked.astext() == marked.rawsource == "x = 1\ny = 2"
    assert plain.astext() == plain.rawsource == "a = 'SOLUTION'"


def test_the_sphinx_extension_keeps_one_of_identical_scripts() -> None:
    """sphinx-thebe's inline script, added once as file None and once as "": the page gets it once."""
    from sphinx.builders.html._assets import _JavaScript

    from twice_book import sphinx

    body = 'const THEBE_JS_URL = "x"'
    inline: Any = None  # what sphinx-thebe passes for an inline script, though Sphinx annotates str
    scripts = [
        _JavaScript(inline, body=body),
        _JavaScript("a.js"),
        _JavaScript("", body=body),
        _JavaScript("a.js"),
        _JavaScript("a.js", defer="defer"),
    ]
    context: dict[str, object] = {"script_files": scripts}
    sphinx._one_of_each_script(None, "page", "page.html", context, None)
    assert context["script_files"] == [scripts[0], scripts[1], scripts[4]]


def test_the_command_line_is_python_m_twice_book_exercises() -> None:
    result = run([sys.executable, "-m", "twice_book.exercises", "--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m twice_book.exercises") and "assign" in result.stdout


def test_tasks_exercises_rejects_an_unknown_chapter() -> None:
    result = run([sys.executable, ROOT / "tasks.py", "exercises", "99_nothing"])
    assert result.returncode != 0 and "chapters with exercises: " in result.stderr


# ----------------------------------------------------------------------------------------------------------
# The rendered book
# ----------------------------------------------------------------------------------------------------------


def test_toc_lists_the_exercise_pages_after_the_notebooks() -> None:
    toc = (ROOT / "_toc.yml").read_text()
    for master in MASTERS:
        chapter = master.parent.parent.name
        entry = f"file: chapters/{chapter}/exercises/{master.stem}\n"
        assert entry in toc, f"_toc.yml misses {chapter}/exercises/{master.stem}"
        assert toc.index(f"file: chapters/{chapter}/pytorch\n") < toc.index(entry)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert {"sphinx_exercise", "twice_book.sphinx"} <= set(config["sphinx"]["extra_extensions"])


@pytest.mark.book
def test_book_shows_exercises_with_folded_solutions_and_no_tests(strict_book: Path) -> None:
    bs4 = pytest.importorskip("bs4")
    for master in MASTERS:
        page = strict_book / "chapters" / master.parent.parent.name / "exercises" / f"{master.stem}.html"
        main = bs4.BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("main")
        found = questions(load(master))
        boxes, solutions = main.select("div.exercise"), main.select("div.solution")
        assert len(boxes) == len(solutions) == len(found), (len(boxes), len(solutions), len(found))
        assert all("dropdown" in s["class"] for s in solutions), "solutions must be folded"
        graded = [q for q in found if not q.manual]
        assert sum(1 for s in solutions if s.select("div.cell")) == len(graded), (
            "solution code belongs in the dropdown"
        )
        text = main.get_text()
        for leak in (
            "BEGIN SOLUTION",
            "END SOLUTION",
            "# SOLUTION",
            "def test_",
            "# HIDDEN",
            "ASSIGNMENT CONFIG",
            "BEGIN QUESTION",
            "REPOSITORY =",
        ):
            assert leak not in text, f"{page.name}: {leak!r} shows in the book"


# ----------------------------------------------------------------------------------------------------------
# Answers that try to game the checks
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_every_graded_question_is_worth_two_points(path: Path) -> None:
    for q in questions(load(path)):
        if not q.manual:
            assert q.points == 2, f"{q.name}: {q.points} points, every auto-graded question is worth 2"


def test_every_chapter_2_answer_is_tried_with_twice() -> None:
    """Each chapter 2 answer can be one call into twice; GAMED tries that for every graded question."""
    for framework in FRAMEWORKS:
        path = ROOT / "chapters" / "02_cnn" / "exercises" / f"{framework}.ipynb"
        graded = {q.name for q in questions(load(path)) if not q.manual}
        assert set(GAMED[master_id(path)]) == graded


def test_answer_cells_are_found_by_question() -> None:
    def code(text: str, *cell_tags: str) -> Cell:
        return {"cell_type": "code", "metadata": {"tags": list(cell_tags)}, "source": text, "outputs": []}

    notebook = {
        "cells": [
            code("x = ...", exercises.ANSWER_TAG),
            code('grader.check("a")'),
            code("print(x)"),
            code("y = ...", exercises.ANSWER_TAG),
            code('grader.check("b")'),
        ]
    }
    found = answer_cells_by_question(notebook)
    assert {name: [source(c) for c in cells] for name, cells in found.items()} == {
        "a": ["x = ..."],
        "b": ["y = ..."],
    }
    gamed = gamed_submission(notebook, {"b": ("y = 2", 0.0)})
    assert [source(c) for c in gamed["cells"]][3] == "y = 2" and source(notebook["cells"][3]) == "y = ..."


@pytest.mark.parametrize("path", [m for m in MASTERS if master_id(m) in GAMED], ids=master_id)
def test_gamed_answers_get_only_the_points_they_deserve(outcomes: dict[Path, Outcome], path: Path) -> None:
    """An answer by a twice helper, by a formula or finite differences where autodiff was asked for, by a
    mock that equals everything, or by a model that learnt the test split, loses the points the checks
    promise to deny; a right answer called while exploring keeps them all. The other answers stay solved."""
    outcome = outcomes[path]
    assert not outcome.errors, "\n".join(outcome.errors)
    row, full = outcome.grades["gamed"], outcome.grades["solved"]
    assert not row["error"], row
    gamed = GAMED[master_id(path)]
    for question, (_, points) in gamed.items():
        assert float(row[question]) == points, f"{question}: {row[question]} points, expected {points}"
    for question in set(row) - NOT_QUESTIONS - set(gamed):
        assert float(row[question]) == float(full[question]), f"{question} lost points it should keep"


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_lying_answers_get_nothing(outcomes: dict[Path, Outcome], path: Path) -> None:
    """Answers that claim to be tensors and equal, or are close to, everything score nothing: the tests compare
    plain data (twice.answers.plain), never what an answer says of itself. The liar is no tampering."""
    outcome = outcomes[path]
    assert not outcome.errors, "\n".join(outcome.errors)
    row = outcome.grades["lying"]
    assert row["status"] == "graded" and not row["error"], row
    scored = {q: float(row[q]) for q in set(row) - NOT_QUESTIONS if float(row[q])}
    assert not scored, f"lying answers scored: {scored}"


@pytest.mark.parametrize("path", MASTERS, ids=master_id)
def test_tests_ask_answers_nothing_about_themselves(path: Path) -> None:
    """A ``__class__`` property fools ``isinstance``; the tests use ``type()`` and twice.answers.plain."""
    for q in questions(load(path)):
        for cell in q.test_cells:
            calls = [
                n
                for n in ast.walk(ast.parse(source(cell)))
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            ]
            assert not [c for c in calls if c.func.id == "isinstance"], f"{q.name}: isinstance in a test"  # type: ignore[attr-defined]
            assert "plain" in {c.func.id for c in calls}, f"{q.name}: a test that never calls plain()"  # type: ignore[attr-defined]
