#!/usr/bin/env python3
"""The book's two commands, and a few more, with nothing but Python 3.11 and pip needed beforehand.

    python3 tasks.py build     install what is needed, then build the book into _build/html
    python3 tasks.py test      install what is needed, then run every check: ruff, mypy, the helper
                               package's tests, the notebooks' structure, nbval on every notebook (in the
                               "foreign machine" environment, FOREIGN_MACHINE below) and the strict book build
    python3 tasks.py test --quick
                               the same without nbval and without the book build (a minute or two)
    python3 tasks.py test -- PYTEST_ARGS...
                               only pytest, with these arguments: a file, a notebook, a -k selection
    python3 tasks.py test --native [...]
                               nbval in this machine's own environment instead of the foreign one
    python3 tasks.py execute [--foreign] [NOTEBOOK...]
                               re-run notebooks top to bottom and store their outputs (all without NOTEBOOK)
    python3 tasks.py lab [-- JUPYTER_ARGS...]
                               open the notebooks in JupyterLab (as root too, as in a container; without a
                               display it opens no browser and prints the address), e.g. -- --port=8890
    python3 tasks.py figures [NAME...]
                               redraw the overview pages' concept figures (SVG files beside the pages) from
                               src/twice_book/figures.py; tests/test_figures.py checks they are up to date
    python3 tasks.py set-repository URL
                               point the book (launch buttons, Colab install cells) at a fork
    python3 tasks.py exercises [CHAPTER]
                               make the student and autograder versions of a chapter's exercises (all
                               chapters without CHAPTER), with otter-grader, in _build/exercises/
    python3 tasks.py grade AUTOGRADER_ZIP SUBMISSION...
                               grade submitted notebooks, each in a bubblewrap sandbox; prints the scores
                               and writes them to a new grades_<UTC time>.csv beside the zip's student/
                               and autograder/ folders (--timeout S, --workers N, --unsafe-no-sandbox)

Everything is installed into a virtual environment in .venv, from requirements.txt; it is reinstalled only
when requirements.txt or pyproject.toml change.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# The book's tooling reads and writes notebooks with the standard library only, so it works before .venv exists.
sys.path.insert(0, str(ROOT / "src"))
from twice_book import ipynb

VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".requirements.sha256"
CONFIG = ROOT / "_config.yml"
CONFIG_URL = re.compile(r"^(  url: )(\S+)", re.MULTILINE)
CONFIG_BRANCH = re.compile(r"^  branch: (\S+)", re.MULTILINE)
EXERCISES_BUILD = ROOT / "_build" / "exercises"

# The "foreign machine": settings under which the numeric libraries take other code paths than the ones they
# pick on their own, on any x86-64 machine with two or more cores. Trained weights then come out different
# (tests/test_foreign_machine.py shows it), so a notebook output that depends on them cannot pass nbval by
# luck: outputs recorded on one machine are tested as if on another. See "How verification works" in README.
def _cpu_flags() -> set[str]:
    """The CPU's feature flags (from /proc/cpuinfo; empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


# TensorFlow turns its oneDNN kernels on by itself only on x86 CPUs with one of these (TensorFlow 2.9's release
# notes: "CPUs with neural-network-focused hardware features such as AVX512_VNNI, AVX512_BF16, and AMX"): an
# AVX2-only CPU (this book was tested on AMD EPYC ones) runs Eigen's kernels unless told otherwise.
ONEDNN_BY_DEFAULT_FLAGS = frozenset({"avx512_vnni", "avx512_bf16", "avx_vnni", "amx_bf16", "amx_int8", "amx_tile"})
TF_ONEDNN_BY_DEFAULT = bool(_cpu_flags() & ONEDNN_BY_DEFAULT_FLAGS)

FOREIGN_MACHINE: dict[str, str] = {
    # One thread where there would be one per core: PyTorch's intra-op pool (and OpenMP in MKL, oneDNN).
    "OMP_NUM_THREADS": "1",
    # TensorFlow's intra-op pool, likewise (a notebook that sets its own thread count keeps it).
    "TF_NUM_INTRAOP_THREADS": "1",
    # TensorFlow's kernels the other way round from its own choice on this CPU: oneDNN's off where TensorFlow
    # turns them on (Eigen's instead), on where it leaves them off.
    "TF_ENABLE_ONEDNN_OPTS": "0" if TF_ONEDNN_BY_DEFAULT else "1",
    # oneDNN (PyTorch's convolutions) without AVX-512, where the CPU has it.
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    # MKL (PyTorch's matrix products) on its SSE2-compatible code path instead of the CPU's best.
    "MKL_CBWR": "COMPATIBLE",
}
FOREIGN_VARIABLE = "TWICE_FOREIGN_MACHINE"  # set to 1 in the foreign environment, so that tests can tell


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=False)
    if completed.returncode:
        sys.exit(completed.returncode)


def ensure_environment() -> None:
    """Create .venv and install requirements.txt into it, unless that was already done for these files."""
    if sys.version_info[:2] != (3, 11):
        print(
            f"warning: the pins in requirements.txt were made for Python 3.11; this is "
            f"{sys.version_info.major}.{sys.version_info.minor}",
            file=sys.stderr,
        )
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", "pyproject.toml")))
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == digest.hexdigest():
        return
    if not PYTHON.exists():
        print(f"+ creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements.txt")
    STAMP.write_text(digest.hexdigest())


def quiet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def build() -> None:
    ensure_environment()
    run(BIN / "jupyter-book", "build", ROOT, "--keep-going", env=quiet_env())
    print(f"The book is at {ROOT / '_build' / 'html' / 'index.html'}")


def foreign_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the FOREIGN_MACHINE settings on top."""
    return {**env, **FOREIGN_MACHINE, FOREIGN_VARIABLE: "1"}


def native_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without any FOREIGN_MACHINE setting: the numeric libraries choose for themselves."""
    return {k: v for k, v in env.items() if k not in FOREIGN_MACHINE and k != FOREIGN_VARIABLE}


NBVAL_OPTIONS = ("--nbval", "--nbval-current-env", "--nbval-cell-timeout=300")
# The notebooks run under nbval on every core (pytest-xdist; --dist loadscope keeps a notebook's cells on one
# worker, in order, in one kernel): the foreign machine gives each kernel one thread, so one notebook leaves
# the other cores idle. The tests of tests/ then run on every core too, a module's tests on one worker
# (--dist loadfile: its module fixtures are made once), except those marked ``grading`` (tests/conftest.py),
# which run last and alone: they grade side by side on every core themselves, and their timeouts assume that
# nothing else competes.
PARALLEL_OPTIONS = ("--numprocesses=auto", "--dist=loadscope")
PARALLEL_TESTS_OPTIONS = ("--numprocesses=auto", "--dist=loadfile")


def test(*, quick: bool = False, native: bool = False, pytest_args: list[str] | None = None) -> None:
    """ruff, mypy and pytest (nbval and the book build included), as CI runs them; see the module docstring.

    ``quick``: without nbval and the book build. ``native``: nbval in this machine's own environment.
    ``pytest_args``: only pytest, with these arguments.
    """
    ensure_environment()
    env = native_env(quiet_env()) if native else foreign_env(quiet_env())
    started = time.perf_counter()
    if pytest_args is not None:
        run(PYTHON, "-m", "pytest", *NBVAL_OPTIONS, *pytest_args, env=env)
        return
    run(BIN / "ruff", "check", ROOT, env=env)
    run(BIN / "mypy", env=env)  # what it checks: [tool.mypy] files in pyproject.toml
    run(BIN / "mypy", ROOT / "tests" / "conftest.py", env=env)  # excluded above: see pyproject.toml
    if quick:
        run(PYTHON, "-m", "pytest", "-m", "not book", env=env)  # no --nbval: notebooks are not collected
    else:
        run(PYTHON, "-m", "pytest", *PARALLEL_OPTIONS, *NBVAL_OPTIONS, "chapters", env=env)
        run(PYTHON, "-m", "pytest", *PARALLEL_TESTS_OPTIONS, "-m", "not grading", "tests", env=env)
        run(PYTHON, "-m", "pytest", "-m", "grading", "tests", env=env)
    print(f"all checks passed in {time.perf_counter() - started:.0f} s", flush=True)


def execute(paths: list[Path], *, foreign: bool = False) -> None:
    """Run notebooks top to bottom in a fresh kernel and store their outputs, as an author commits them
    (without TensorFlow's C++ log lines on stderr: see twice_book.ipynb.drop_framework_logs)."""
    paths = [path.resolve() for path in paths] or notebooks()
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            sys.exit(f"not a notebook: {path}")
    ensure_environment()
    env = foreign_env(quiet_env()) if foreign else native_env(quiet_env())
    for path in paths:
        started = time.perf_counter()
        run(
            BIN / "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            "--ExecutePreprocessor.timeout=600",
            path,
            env=env,
        )
        notebook = ipynb.load(path)
        if ipynb.drop_framework_logs(notebook):  # TensorFlow's C++ log ignores TF_CPP_MIN_LOG_LEVEL
            ipynb.save(notebook, path)
        print(f"  {path}: {time.perf_counter() - started:.1f} s", flush=True)


def lab_command(extra: list[str] | None = None) -> list[str]:
    """JupyterLab on the chapters, wherever a learner runs it: as root too (a container's user), and without
    trying to open a browser where there is no display. ``extra``: more options for ``jupyter lab``."""
    command = [str(BIN / "jupyter"), "lab", f"--ServerApp.root_dir={ROOT / 'chapters'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # jupyter refuses root otherwise; in a container, root is the user
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless:
        command.append("--no-browser")
    return command + list(extra or [])


def lab(extra: list[str] | None = None) -> None:
    ensure_environment()
    command = lab_command(extra)
    where = (
        "open the address printed below (with its token) in a browser"
        if "--no-browser" in command
        else ("a browser tab opens; if not, open the address printed below (with its token)")
    )
    print(f"JupyterLab serves {ROOT / 'chapters'}: {where}. Ctrl-C stops it.", flush=True)
    if os.name == "posix":
        # This process becomes JupyterLab: a signal that stops `tasks.py lab` (Ctrl-C, a terminal closed, a
        # test's terminate()) stops the server, instead of leaving it and its kernels running without a parent.
        print("+", " ".join(command), flush=True)
        os.chdir(ROOT)
        os.execve(command[0], command, quiet_env())
    run(*command, env=quiet_env())


def notebooks() -> list[Path]:
    """Every notebook of the book: the chapter pairs and their exercise masters."""
    return sorted(ROOT.glob("chapters/*/*.ipynb")) + sorted(ROOT.glob("chapters/*/exercises/*.ipynb"))


def exercise_masters(chapter: str | None) -> list[Path]:
    """The exercise masters of one chapter (``01_tensors`` or ``chapters/01_tensors``), or of all."""
    if chapter is None:
        masters = sorted(ROOT.glob("chapters/*/exercises/*.ipynb"))
    else:
        masters = sorted((ROOT / "chapters" / Path(chapter).name / "exercises").glob("*.ipynb"))
    if not masters:
        known = sorted({p.parent.parent.name for p in ROOT.glob("chapters/*/exercises/*.ipynb")})
        sys.exit(f"no exercise notebooks for {chapter!r}; chapters with exercises: {', '.join(known)}")
    return masters


def exercises(chapter: str | None = None) -> None:
    """otter assign every master of the chapter; see the README's section For instructors."""
    masters = exercise_masters(chapter)
    ensure_environment()
    match = CONFIG_BRANCH.search(CONFIG.read_text())
    branch = match.group(1) if match else "main"
    # twice_book.exercises runs otter assign on each master, then makes each student notebook self-contained.
    command = ["assign", "--branch", branch, EXERCISES_BUILD, *masters]
    run(PYTHON, "-m", "twice_book.exercises", *command, env=quiet_env())
    print(f"Hand out the notebooks in {EXERCISES_BUILD.relative_to(ROOT)}/<chapter>/<framework>/student/")


def grade(
    autograder_zip: str, submissions: list[str], *, timeout: float, workers: int | None, unsafe: bool
) -> None:
    """Grade submissions, each in a bubblewrap sandbox, and write a new grades_<UTC time>.csv."""
    ensure_environment()
    zip_path = Path(autograder_zip).resolve()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    grades = zip_path.parent.parent / f"grades_{stamp}.csv"  # one file per batch: none is ever overwritten
    paths = [Path(s).resolve() for s in submissions]  # run() works in ROOT, not in the caller's folder
    options: list[str | Path] = ["--csv", grades, "--timeout", str(timeout)]
    options += ["--workers", str(workers)] if workers else []
    options += ["--unsafe-no-sandbox"] if unsafe else []
    run(PYTHON, "-m", "twice_book.exercises", "grade", *options, zip_path, *paths, env=quiet_env())


def figures(names: list[str]) -> None:
    """Redraw the concept figures of the overview pages (all, or those named), as SVG files beside the pages."""
    ensure_environment()
    run(PYTHON, "-m", "twice_book.figures", *names, env=quiet_env())


def benchmark(output: Path | None) -> None:
    """Run chapter 6's whole benchmark suite and record it (src/twice/records/cpu.json)."""
    ensure_environment()
    where: list[str | Path] = ["--output", output] if output else []
    run(PYTHON, "-m", "twice_book.benchmark", *where, env=quiet_env())


def set_repository(url: str) -> None:
    """Write the repository address into _config.yml and into every notebook's Colab install cell."""
    match = re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url)
    if not match:
        sys.exit(f"expected an address of the form https://github.com/<owner>/<repo>, got {url!r}")
    text = CONFIG.read_text()
    if not CONFIG_URL.search(text):
        sys.exit("_config.yml has no 'repository: url:' line to rewrite")
    CONFIG.write_text(CONFIG_URL.sub(lambda m: m.group(1) + url, text, count=1))
    # The Colab cell of every notebook installs the helper package from its REPOSITORY line.
    for notebook in notebooks():
        nb = ipynb.load(notebook)
        if ipynb.set_repository(nb, url):
            ipynb.save(nb, notebook)
            print(f"updated {notebook.relative_to(ROOT)}")
    print(f"repository set to {url}")


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per task, each with its own --help."""
    top = argparse.ArgumentParser(
        prog="tasks.py",
        description=__doc__.split("\n\n")[0],
        epilog="Everything is installed into .venv from requirements.txt first. See the README.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("build", help="build the book into _build/html")
    check = commands.add_parser(
        "test",
        help="run every check, as CI does",
        description="ruff, mypy, then pytest: the helper package's tests, the notebooks' structure, nbval on "
        "every notebook in the foreign-machine environment (FOREIGN_MACHINE), and the strict book build. "
        "After --, only pytest runs, with the given arguments.",
        usage="tasks.py test [-h] [--quick | --native] [-- PYTEST_ARGS...]",
    )
    check.add_argument("--quick", action="store_true", help="without nbval and without the book build")
    check.add_argument("--native", action="store_true", help="nbval in this machine's own environment")
    run_notebooks = commands.add_parser("execute", help="re-run notebooks and store their outputs")
    run_notebooks.add_argument("notebooks", nargs="*", type=Path, metavar="NOTEBOOK", help="default: all")
    run_notebooks.add_argument("--foreign", action="store_true", help="in the foreign-machine environment")
    commands.add_parser("lab", help="open the notebooks in JupyterLab")
    drawing = commands.add_parser("figures", help="redraw the overview pages' concept figures (SVG)")
    drawing.add_argument("names", nargs="*", metavar="NAME", help="e.g. fig-conv-window; default: all")
    measuring = commands.add_parser(
        "benchmark", help="run chapter 6's whole benchmark suite and record it (a few minutes)"
    )
    measuring.add_argument("--output", type=Path, help="default: src/twice/records/cpu.json")
    repository = commands.add_parser("set-repository", help="point the book at a fork")
    repository.add_argument("url", metavar="URL", help="https://github.com/<owner>/<repo>")
    assign = commands.add_parser(
        "exercises", help="make the student and autograder versions of the exercises"
    )
    assign.add_argument("chapter", nargs="?", metavar="CHAPTER", help="e.g. 02_cnn; default: all chapters")
    marking = commands.add_parser("grade", help="grade submitted notebooks without Docker")
    marking.add_argument("autograder_zip", metavar="AUTOGRADER_ZIP")
    marking.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    marking.add_argument("--timeout", type=float, default=600.0, help="seconds per submission (default 600)")
    marking.add_argument("--workers", type=int, help="submissions graded side by side (default: CPUs)")
    marking.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="without bubblewrap (submissions can reach your files)",
    )
    return top


def main(argv: list[str]) -> None:
    # Everything after "--" goes to pytest untouched (argparse would read pytest's options as its own).
    pytest_args = argv[argv.index("--") + 1 :] if "--" in argv else None
    command_line = parser()
    args = command_line.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    if pytest_args is not None and args.command not in ("test", "lab"):
        command_line.error("only `test` (to pytest) and `lab` (to jupyter lab) pass arguments after --")
    if args.command == "test":
        if args.quick and (args.native or pytest_args is not None):
            command_line.error("--quick runs no nbval: it goes with neither --native nor pytest arguments")
        test(quick=args.quick, native=args.native, pytest_args=pytest_args)
    elif args.command == "execute":
        execute(args.notebooks, foreign=args.foreign)
    elif args.command == "lab":
        lab(pytest_args)
    elif args.command == "figures":
        figures(args.names)
    elif args.command == "benchmark":
        benchmark(args.output)
    elif args.command == "set-repository":
        set_repository(args.url)
    elif args.command == "exercises":
        exercises(args.chapter)
    elif args.command == "grade":
        grade(
            args.autograder_zip,
            args.submissions,
            timeout=args.timeout,
            workers=args.workers,
            unsafe=args.unsafe_no_sandbox,
        )
    else:
        build()


if __name__ == "__main__":
    main(sys.argv[1:])
