"""Grade one submission with otter, inside the sandbox that :func:`twice_book.exercises.grade` makes.

Run as ``python -m twice_book.grading_worker AUTOGRADER_ZIP SUBMISSION RESULT_JSON [--sandboxed]``. The
worker grades a private copy of the submission with otter's API and writes one JSON object to RESULT_JSON:
``{"status": ..., "error": ..., "total": ..., "possible": ..., "questions": [[name, score, possible], ...]}``.

Honest accidents are tolerated: the assignment is the one of the zip the instructor chose (a notebook whose
otter metadata was lost is graded as that assignment; one that names another assignment is refused), and the
notebook always runs in the ``python3`` kernel of the grading environment, whatever kernel it names.

With ``--sandboxed`` (given only inside the bubblewrap sandbox, whose PID 1 is bwrap), the worker kills every
other process of the sandbox's PID namespace (whatever the submission left running) before it writes the
result, so that nothing of the submission's can rewrite it afterwards.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

#: The kernel every submission runs in: the grading environment's own Python.
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def prepare(submission: Path, assignment: str | None, destination: Path) -> dict[str, Any] | None:
    """Write the submission to ``destination`` as a notebook of ``assignment`` in the python3 kernel.

    Returns None, or the result to report when the file is not a notebook.
    """
    try:
        notebook = json.loads(submission.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return {"status": "not a notebook", "error": f"not a Jupyter notebook ({error})"}
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return {"status": "not a notebook", "error": "not a Jupyter notebook (JSON without a list of cells)"}
    metadata = notebook.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        notebook["metadata"] = metadata = {}
    metadata["kernelspec"] = dict(KERNELSPEC)
    otter = metadata.setdefault("otter", {})
    if isinstance(otter, dict) and assignment and not otter.get("assignment_name"):
        otter["assignment_name"] = assignment  # lost by an editor: the instructor's zip says which one it is
    notebook.setdefault("nbformat", 4)
    notebook.setdefault("nbformat_minor", 5)
    destination.write_text(json.dumps(notebook), encoding="utf-8")
    return None


def grade(autograder_zip: Path, submission: Path) -> dict[str, Any]:
    """Grade ``submission`` with ``autograder_zip`` and return the result (see the module's docstring)."""
    with zipfile.ZipFile(autograder_zip) as archive:
        config = json.loads(archive.read("otter_config.json"))
    work = Path(tempfile.mkdtemp(prefix="submission-"))
    try:
        notebook = work / "submission.ipynb"
        refused = prepare(submission, config.get("assignment_name"), notebook)
        if refused is not None:
            return refused
        from otter.api import grade_submission

        try:
            results = grade_submission(str(notebook), str(autograder_zip), quiet=True)
        except MemoryError:
            return {"status": "memory", "error": "the grader ran out of memory (memory limit)"}
        except OSError as error:
            if error.errno != errno.EFBIG:
                raise
            return {
                "status": "output",
                "error": "output too large: the notebook wrote more than the file-size limit (output cut)",
            }
        except Exception as error:  # noqa: BLE001 - reported with the submission
            text = f"{type(error).__name__}: {error}"
            status = "wrong assignment" if "Received submission for assignment" in text else "error"
            if "DeadKernel" in type(error).__name__ or "Kernel died" in text:
                status = "crash"
                text = f"the notebook's kernel died ({text})"
            return {"status": status, "error": text}
        questions = [
            [name, float(result.score), float(result.possible)] for name, result in results.results.items()
        ]
        return {
            "status": "graded",
            "error": "",
            "total": float(results.total),
            "possible": float(results.possible),
            "questions": questions,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _kill_the_rest_of_the_sandbox() -> None:
    """Kill every process of this PID namespace but bwrap's init and this one (only inside the sandbox)."""
    try:
        init = Path("/proc/1/comm").read_text().strip()
    except OSError:
        return
    if init != "bwrap" or os.getpid() == 1:
        return  # not in bwrap's PID namespace: kill(-1) would reach the whole machine
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main(argv: list[str]) -> int:
    sandboxed = "--sandboxed" in argv
    autograder_zip, submission, result_path = (Path(a) for a in argv if a != "--sandboxed")
    result = grade(autograder_zip, submission)
    if sandboxed:
        _kill_the_rest_of_the_sandbox()
    partial = result_path.with_suffix(".partial")
    partial.write_text(json.dumps(result), encoding="utf-8")
    os.replace(partial, result_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
