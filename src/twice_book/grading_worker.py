"""Grade one submission, inside the sandbox that :func:`twice_book.exercises.grade` makes.

Run as ``python -m twice_book.grading_worker AUTOGRADER_ZIP SUBMISSION RESULT_JSON [--sandboxed]``, with
``-`` as AUTOGRADER_ZIP to read the zip from standard input (as the sandbox does: no file in it holds the
hidden tests). The worker runs a private copy of the submission in a fresh ``python3`` kernel of the grading
environment, then otter's tests from the zip, and writes one JSON object to RESULT_JSON:
``{"status": ..., "error": ..., "total": ..., "possible": ..., "questions": [[name, score, possible], ...]}``.

The kernel runs, in this order: the guard of :mod:`twice_book.grading_guard` (which fingerprints what the
tests rely on and installs an audit hook that reports on a channel of its own), the submission's code cells
(each on its own, so a cell that fails costs only what depends on it), and the tests, which the kernel
receives only then. A submission that changed anything fingerprinted, left a thread running, was reported
by the audit hook or kept the tests' report (which carries a one-time nonce) from coming back gets status
``tampered`` and no points. The worker makes itself non-dumpable, so the kernel cannot read its memory.

Honest accidents are tolerated: the assignment is the one of the zip the instructor chose (a notebook whose
otter metadata was lost is graded as that assignment; one that names another assignment is refused), and the
notebook always runs in the ``python3`` kernel of the grading environment, whatever kernel it names.

With ``--sandboxed`` (given only inside the bubblewrap sandbox, whose PID 1 is bwrap), the worker kills every
other process of the sandbox's PID namespace (whatever the submission left running) before it writes the
result, so that nothing of the submission's can rewrite it afterwards.
"""

from __future__ import annotations

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


class OutputTooLarge(Exception):
    """The notebook printed more than the worker keeps count of (:data:`OUTPUT_LIMIT`)."""


#: The most a submission may print, in bytes of output, before its grading stops.
OUTPUT_LIMIT = 64 * 2**20
#: Where this module's kernel-side half lives (sent to the kernel as source, never imported there).
GUARD = Path(__file__).with_name("grading_guard.py")


def read_autograder(data: bytes) -> tuple[dict[str, Any], dict[str, tuple[float, str]]]:
    """otter's autograder zip: its configuration and its tests, question -> (points, source), in zip order."""
    import ast
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        config = json.loads(archive.read("otter_config.json"))
        tests: dict[str, tuple[float, str]] = {}
        for name in archive.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                text = archive.read(name).decode("utf-8")
                points = 0.0
                for node in ast.parse(text).body:  # `points = 2`, read without running the file
                    if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "points" for t in node.targets
                    ):
                        points = float(ast.literal_eval(node.value))
                tests[name[len("tests/") : -len(".py")]] = (points, text)
    return config, tests


def _cells_to_run(notebook: dict[str, Any]) -> list[str]:
    """The code cells otter would run: all but those tagged otter_ignore."""
    cells = []
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", []) if isinstance(cell.get("metadata"), dict) else []
        if "otter_ignore" in tags:
            continue
        text = cell.get("source", "")
        cells.append("".join(text) if isinstance(text, list) else str(text))
    return cells


def _score(results: list[Any], tests: dict[str, tuple[float, str]]) -> dict[str, Any]:
    """The result of the tests' outcomes: each question's points shared equally by its test cases (otter's rule)."""
    questions, failures = [], []
    by_name = {str(r[0]): r for r in results}
    for question, (points, _) in tests.items():
        outcomes = by_name.get(question, [question, points, []])[2]
        passed = sum(1 for o in outcomes if o[1] is True)
        score = points * passed / len(outcomes) if outcomes else 0.0
        questions.append([question, score, points])
        failures += [f"{question}: {o[2]}" for o in outcomes if o[1] is not True][:1]
    return {
        "status": "graded",
        "error": "",
        "total": sum(q[1] for q in questions),
        "possible": sum(q[2] for q in questions),
        "questions": questions,
        "failures": failures,
    }


def grade(autograder: bytes, submission: Path) -> dict[str, Any]:
    """Grade ``submission`` with the autograder zip's bytes and return the result (see the module's docstring).

    The submission's cells run in a fresh python3 kernel, after the guard of :mod:`twice_book.grading_guard`;
    the tests reach the kernel only after the last cell. A submission that tampered with the grader is
    reported with status ``tampered`` and gets no points.
    """
    import secrets
    import threading

    config, tests = read_autograder(autograder)
    work = Path(tempfile.mkdtemp(prefix="submission-"))
    try:
        notebook_path = work / "submission.ipynb"
        refused = prepare(submission, config.get("assignment_name"), notebook_path)
        if refused is not None:
            return refused
        notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
        named = notebook["metadata"].get("otter", {})
        named = named.get("assignment_name") if isinstance(named, dict) else None
        if named and config.get("assignment_name") and named != config["assignment_name"]:
            return {
                "status": "wrong assignment",
                "error": f"Received submission for assignment '{named}' (this is '{config['assignment_name']}')",
            }
        framework = "pytorch" if "pytorch" in str(config.get("assignment_name", "")) else "tensorflow"
        channel = work / "channel"
        os.mkfifo(channel, 0o600)
        lines: list[dict[str, Any]] = []
        closed = threading.Event()

        def listen() -> None:
            with open(channel, "rb") as stream:
                for line in stream:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        record = {"kind": "tamper", "what": "a line on the grader's channel", "where": "?"}
                    lines.append(record if isinstance(record, dict) else {"kind": "tamper", "what": "?"})
            closed.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        nonce = secrets.token_hex(16)
        guard = GUARD.read_text(encoding="utf-8")
        start = f"{guard}\n_twice_guard_start({str(channel)!r}, {framework!r})\n"
        return _execute(notebook, start, guard, channel, work, lines, closed, nonce, tests)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _execute(
    notebook: dict[str, Any],
    start: str,
    guard: str,
    channel: Path,
    work: Path,
    lines: list[dict[str, Any]],
    closed: Any,
    nonce: str,
    tests: dict[str, tuple[float, str]],
) -> dict[str, Any]:
    """Run guard, cells and tests in one kernel; judge what came back on the channel."""
    import time

    from jupyter_client.manager import start_new_kernel

    written = [0]
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(work))
    try:

        def reply_to(msg_id: str, get: Any) -> dict[str, Any]:
            """The next message from ``get`` (the iopub or the shell channel) that answers ``msg_id``."""
            import queue

            while True:
                try:
                    message: dict[str, Any] = get(timeout=1)
                except queue.Empty:
                    if not manager.is_alive():
                        raise DeadKernel from None
                    continue
                if message.get("parent_header", {}).get("msg_id") == msg_id:
                    return message

        def run(code: str) -> dict[str, Any]:
            """Execute ``code``; return the reply's content once the kernel is idle again."""
            msg_id = client.execute(code, store_history=False)
            while True:
                message = reply_to(msg_id, client.get_iopub_msg)
                content = message.get("content", {})
                if message["msg_type"] == "status" and content.get("execution_state") == "idle":
                    break
                if message["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                    written[0] += len(json.dumps(content))
                    if written[0] > OUTPUT_LIMIT:
                        raise OutputTooLarge
            answer: dict[str, Any] = reply_to(msg_id, client.get_shell_msg)["content"]
            return answer

        guarded = run(start)
        deadline = time.monotonic() + 60  # the baseline may still be on its way through the channel
        while guarded.get("status") == "ok" and not lines and not closed.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        if guarded.get("status") != "ok" or not lines or lines[0].get("kind") != "baseline":
            raise RuntimeError(f"the grader's guard did not start: {guarded.get('evalue', guarded)}")
        channel.unlink()  # the kernel holds it open; nobody else can open it now
        baseline, secret = lines[0]["fingerprint"], str(lines[0]["secret"])
        short_of_memory = []
        for number, cell in enumerate(_cells_to_run(notebook), start=1):
            reply = run(cell)
            if reply.get("status") == "error" and str(reply.get("ename", "")).endswith("MemoryError"):
                short_of_memory.append(number)  # numpy's _ArrayMemoryError too
        run(f"{guard}\n_twice_guard_finish({nonce!r}, {tests!r}, {secret!r})\n")
        if not manager.is_alive():
            raise DeadKernel
    except OutputTooLarge:
        return {
            "status": "output",
            "error": f"output too large: the notebook printed more than {OUTPUT_LIMIT // 2**20} MiB (cut)",
        }
    except DeadKernel:
        return {"status": "crash", "error": "the notebook's kernel died (DeadKernelError: Kernel died)"}
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    closed.wait(10)
    result = _judge(lines, baseline, nonce, tests)
    if result["status"] == "graded" and short_of_memory:
        cells = ", ".join(str(n) for n in short_of_memory)
        result["status"] = "memory"
        result["error"] = f"code cell {cells} ran out of memory (MemoryError); the rest was run and graded"
    return result


def _replaced(before: str, after: str | None) -> bool:
    """Whether a fingerprinted value was tampered with (tokens of :func:`twice_book.grading_guard._twice_token`).

    Removed, replaced by a value of another type, by a function of the submission's or by another callable of
    the same type: tampered. A function replaced by another function of the environment (a library wrapping
    its own, as torch.compile does with ``torch.manual_seed``) or a plain value changed in place is not.
    """
    if after is None:
        return True
    if before == after:
        return False
    type_before, identity_before, *_ = before.split("/")
    type_after, _, code, _, origin = (after.split("/") + ["", "", "", "", ""])[:5]
    if type_before != type_after or origin == "S":
        return True
    del identity_before, code
    return origin != "T" and origin != "D"


class DeadKernel(Exception):
    """The kernel died while the notebook ran."""


def _judge(
    lines: list[dict[str, Any]], baseline: dict[str, str], nonce: str, tests: dict[str, tuple[float, str]]
) -> dict[str, Any]:
    """The result, from the baseline fingerprint (taken before the submission ran) and the channel's lines."""
    tampered = [f"{r.get('what')} at {r.get('where')}" for r in lines if r.get("kind") == "tamper"]
    ends = [r for r in lines if r.get("kind") == "end"]
    if len(ends) != 1 or ends[0].get("nonce") != nonce:
        tampered.append("the tests' report did not come back once, with the grader's nonce")
    else:
        end = ends[0]
        after = end.get("fingerprint", {})
        changed = sorted(n for n, token in baseline.items() if _replaced(token, after.get(n)))
        if changed:
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            tampered.append(f"changed what the tests rely on: {shown}")
        tampered += [f"left {t}" for t in end.get("threads", [])]
        tampered += [str(m) for m in end.get("modes", [])]
    if tampered:
        return {
            "status": "tampered",
            "error": "the submission tampered with the grader, no credit: " + "; ".join(tampered[:5]),
        }
    return _score(ends[0]["results"], tests)


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


def _not_dumpable() -> None:
    """Make this process non-dumpable: processes of the same user (the kernel) cannot read its memory."""
    import ctypes

    PR_SET_DUMPABLE = 4
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def main(argv: list[str]) -> int:
    sandboxed = "--sandboxed" in argv
    zip_argument, submission, result_path = (a for a in argv if a != "--sandboxed")
    if zip_argument == "-":  # the zip comes on stdin, so that no file of the sandbox holds the hidden tests
        autograder = sys.stdin.buffer.read()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    else:
        autograder = Path(zip_argument).read_bytes()
    _not_dumpable()
    try:
        result = grade(autograder, Path(submission))
    except MemoryError:
        result = {"status": "memory", "error": "the grader ran out of memory (memory limit)"}
    except Exception as error:  # noqa: BLE001 - reported with the submission
        result = {"status": "error", "error": f"{type(error).__name__}: {error}"[:500]}
    result_file = Path(result_path)
    if sandboxed:
        _kill_the_rest_of_the_sandbox()
    partial = result_file.with_suffix(".partial")
    partial.write_text(json.dumps(result), encoding="utf-8")
    os.replace(partial, result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
