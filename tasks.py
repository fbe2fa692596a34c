#!/usr/bin/env python3
"""The book's two commands, and a few more, with nothing but Python 3.11 and pip needed beforehand.

    python3 tasks.py build     install what is needed, then build the book into _build/html
    python3 tasks.py test      install what is needed, then run every test: the helper package's tests,
                               the notebooks' structure, nbval on every notebook, and the strict book build
    python3 tasks.py lab       open the notebooks in JupyterLab
    python3 tasks.py set-repository URL
                               point the book (launch buttons, Colab install cells) at a fork
    python3 tasks.py exercises [CHAPTER]
                               make the student and autograder versions of a chapter's exercises (all
                               chapters without CHAPTER), with otter-grader, in _build/exercises/
    python3 tasks.py grade AUTOGRADER_ZIP SUBMISSION...
                               grade submitted notebooks without Docker; prints the scores and writes
                               them to grades.csv beside the zip's student/ and autograder/ folders

Everything is installed into a virtual environment in .venv, from requirements.txt; it is reinstalled only
when requirements.txt or pyproject.toml change.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".requirements.sha256"
CONFIG = ROOT / "_config.yml"
# The Colab cell of every notebook installs the helper package from this line; set-repository rewrites it.
INSTALL_LINE = re.compile(r'^(REPOSITORY = ")([^"]*)(")', re.MULTILINE)
CONFIG_URL = re.compile(r"^(  url: )(\S+)", re.MULTILINE)
CONFIG_BRANCH = re.compile(r"^  branch: (\S+)", re.MULTILINE)
EXERCISES_BUILD = ROOT / "_build" / "exercises"


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


def test() -> None:
    ensure_environment()
    run(PYTHON, "-m", "pytest", env=quiet_env())


def lab() -> None:
    ensure_environment()
    run(BIN / "jupyter", "lab", ROOT / "chapters", env=quiet_env())


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
    # twice.exercises runs otter assign on each master, then makes each student notebook self-contained.
    command = ["assign", "--branch", branch, EXERCISES_BUILD, *masters]
    run(PYTHON, "-m", "twice.exercises", *command, env=quiet_env())
    print(f"Hand out the notebooks in {EXERCISES_BUILD.relative_to(ROOT)}/<chapter>/<framework>/student/")


def grade(autograder_zip: str, submissions: list[str]) -> None:
    """Grade submissions with otter run's machinery, without Docker, and write grades.csv."""
    ensure_environment()
    zip_path = Path(autograder_zip).resolve()
    grades = zip_path.parent.parent / "grades.csv"
    paths = [Path(s).resolve() for s in submissions]  # run() works in ROOT, not in the caller's folder
    run(PYTHON, "-m", "twice.exercises", "grade", "--csv", grades, zip_path, *paths, env=quiet_env())


def set_repository(url: str) -> None:
    """Write the repository address into _config.yml and into every notebook's Colab install cell."""
    match = re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url)
    if not match:
        sys.exit(f"expected an address of the form https://github.com/<owner>/<repo>, got {url!r}")
    text = CONFIG.read_text()
    if not CONFIG_URL.search(text):
        sys.exit("_config.yml has no 'repository: url:' line to rewrite")
    CONFIG.write_text(CONFIG_URL.sub(lambda m: m.group(1) + url, text, count=1))
    for notebook in notebooks():
        nb = json.loads(notebook.read_text())
        changed = False
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and INSTALL_LINE.search(source):
                cell["source"] = INSTALL_LINE.sub(lambda m: m.group(1) + url + m.group(3), source).splitlines(
                    True
                )
                changed = True
        if changed:
            notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            print(f"updated {notebook.relative_to(ROOT)}")
    print(f"repository set to {url}")


def main(argv: list[str]) -> None:
    commands = {"build": build, "test": test, "lab": lab}
    if len(argv) == 2 and argv[0] == "set-repository":
        set_repository(argv[1])
    elif argv and argv[0] == "exercises" and len(argv) <= 2:
        exercises(argv[1] if len(argv) == 2 else None)
    elif len(argv) >= 3 and argv[0] == "grade":
        grade(argv[1], argv[2:])
    elif len(argv) == 1 and argv[0] in commands:
        commands[argv[0]]()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
