"""The grader's code inside a submission's kernel: a guard set before the submission runs, and the tests after.

:mod:`twice_book.grading_worker` sends this module's source to the kernel twice, never imports it there:

1. before the first cell of the submission, with a call of :func:`_twice_guard_start`, which

   * imports the libraries the tests use (NumPy, the framework) and takes a *fingerprint* of them: the
     identity of every public attribute of the watched modules and classes, the code of every function among
     them, and the interpreter's hooks (trace and profile functions, import hooks, display and exception hooks,
     standard streams, signal handlers, IPython's event callbacks and input transformers), with every
     attribute of ``twice.answers`` and the methods of the types its ``plain`` trusts. The fingerprint is
     sent to the worker, which keeps it; the objects are kept alive here, so that no identity is reused;
   * opens the channel to the worker (a FIFO, whose name the worker then removes, duplicated onto a fixed
     descriptor) and installs an audit hook (PEP 578; it cannot be removed) that reports on that channel every
     reach of the submission's own code for the grader's internals: frames (``sys._getframe``, a traceback's,
     generator's or coroutine's frame, ``sys._current_frames``), the garbage collector's object lists, ctypes,
     new audit hooks, trace and profile functions, and replacing a function's code.

2. after the last cell, with a call of :func:`_twice_guard_finish`, which runs the tests (their source comes
   with this call: the submission never had them), takes the fingerprint again and sends both, with the
   worker's one-time nonce, on the channel, and any PyTorch function or dispatch mode of the submission's
   found active before or after a test. The worker compares the fingerprints itself.

The code of the submission is whatever code does not come from the grading environment's installed files
(the standard library, site-packages, the book's packages): the notebook's cells, and whatever they exec.
What this cannot stop, a submission written against this very guard that rewrites the interpreter's memory
without ctypes (through a C extension it builds, say), is said in the README's *For instructors*.
"""

# This file is executed as the source of a notebook cell, in the kernel's namespace: every name it defines
# starts with _twice_, and nothing is imported at module level (so it has no type annotations, which would
# need imports there, and mypy leaves it out: see pyproject.toml). tests/test_grading.py exercises it.

#: The descriptor of the channel to the worker, in the kernel.
_TWICE_CHANNEL_FD = 1017

#: Modules whose public attributes the tests rely on (a missing one is skipped).
_TWICE_WATCHED_MODULES = (
    "builtins",
    "math",
    "operator",
    "os",
    "json",
    "functools",
    "itertools",
    "inspect",
    "types",
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.testing",
    "numpy._core.numeric",
    "numpy._core.fromnumeric",
    "numpy._core.multiarray",
    "numpy._core.umath",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.modules.module",
    "torch.autograd",
    "torch.testing",
    "tensorflow",
    "keras",
    "twice",
    "twice.checks",
    "twice.answers",
)

#: Classes defined in Python whose methods the tests call on the submission's values.
_TWICE_WATCHED_CLASSES = (
    ("torch", "Tensor"),
    ("torch.nn", "Module"),
    ("torch.nn", "Parameter"),
    ("tensorflow", "Tensor"),
    ("tensorflow", "Variable"),
    ("tensorflow", "Module"),
    ("keras", "Model"),
    ("keras", "Layer"),
    ("keras", "Sequential"),
)


def _twice_is_trusted(filename, prefixes):
    """Whether code of this file belongs to the grading environment (not to the submission)."""
    if filename.startswith("<frozen "):
        return True
    return any(filename.startswith(prefix) for prefix in prefixes)


def _twice_token(value, prefixes):
    """What identifies a value in the fingerprint: ``type/identity/code/defaults/origin``.

    The origin of a function is ``S`` if its code is the submission's, ``T`` if the environment's; other
    values are ``C`` if callable, ``D`` if not. The value itself is never asked anything: it might lie.
    """
    import types

    parts = [str(id(type(value))), str(id(value)), "", "", "C" if callable(value) else "D"]
    if type(value) is types.FunctionType:
        code = value.__code__
        origin = "T" if _twice_is_trusted(code.co_filename, prefixes) else "S"
        parts[2:] = [str(id(code)), str(id(value.__defaults__)), origin]
    return "/".join(parts)


def _twice_fingerprint(keep, prefixes):
    """Name -> token of everything watched; ``keep`` collects the objects, so that none is freed."""
    import signal
    import sys

    found = {}
    dunders = (("builtins", "__import__"), ("builtins", "__build_class__"))
    everything = ("twice.answers",)  # its private tables too: they say which types plain() accepts

    def record(name, value):
        keep.append(value)
        found[name] = _twice_token(value, prefixes)

    for module_name in _TWICE_WATCHED_MODULES:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name, value in list(vars(module).items()):
            if name == "input" and module_name == "builtins":
                continue  # ipykernel's own, replaced at every execution
            if module_name in everything or not name.startswith("_") or (module_name, name) in dunders:
                record(f"{module_name}.{name}", value)
    for module_name, class_name in _TWICE_WATCHED_CLASSES:
        module = sys.modules.get(module_name)
        cls = vars(module).get(class_name) if module is not None else None
        if type(cls) is not type and not isinstance(cls, type):
            continue
        for klass in cls.__mro__:
            for name, value in list(vars(klass).items()):
                if name not in ("__dict__", "__weakref__", "__doc__", "__annotations__"):
                    record(f"{module_name}.{class_name}:{klass.__qualname__}.{name}", value)
    answers = sys.modules.get("twice.answers")
    for cls in answers.trusted_types() if answers is not None else ():
        record(f"twice.answers trusts {cls.__module__}.{cls.__qualname__}", cls)  # and their methods:
        for klass in cls.__mro__:
            for name, value in list(vars(klass).items()):
                if name not in ("__dict__", "__weakref__", "__doc__", "__annotations__"):
                    record(f"{cls.__qualname__}:{klass.__qualname__}.{name}", value)
    for name in ("displayhook", "stdout", "stderr", "__stdout__", "__stderr__"):
        record(f"sys.{name}", getattr(sys, name, None))
    record("sys.gettrace()", sys.gettrace())
    record("sys.getprofile()", sys.getprofile())
    for finder in sys.meta_path:  # by identity: libraries add finders of their own, none may be removed
        record(f"sys.meta_path holds {type(finder).__name__} {id(finder)}", finder)
    for hook in sys.path_hooks:
        record(f"sys.path_hooks holds {id(hook)}", hook)
    for number in sorted(signal.valid_signals()):
        try:
            handler = signal.getsignal(number)
        except (OSError, ValueError):
            continue
        record(f"signal handler {number}", handler)
    found["signal.getitimer(ITIMER_REAL)"] = repr(signal.getitimer(signal.ITIMER_REAL)[0] > 0)
    try:
        shell = get_ipython()
    except NameError:
        shell = None
    if shell is not None:
        for event, callbacks in shell.events.callbacks.items():
            found[f"IPython event {event}"] = ",".join(_twice_token(c, prefixes) for c in callbacks)
            keep.extend(callbacks)
        for name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
            values = list(getattr(shell, name, []))
            found[f"IPython {name}"] = ",".join(_twice_token(v, prefixes) for v in values)
            keep.extend(values)
        record("IPython run_cell", type(shell).__dict__.get("run_cell"))
    return found


def _twice_send(record, fd=_TWICE_CHANNEL_FD):
    """Write one JSON line on the channel to the worker."""
    import json
    import os

    data = (json.dumps(record) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def _twice_trusted_prefixes():
    """The folders of the grading environment's installed code (whatever is elsewhere is the submission's)."""
    import importlib
    import os
    import site
    import sys
    import sysconfig

    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    prefixes |= {p for p in sysconfig.get_paths().values() if p}
    for package in ("twice", "twice_book", "numpy"):
        module = sys.modules.get(package) or importlib.import_module(package)
        prefixes.add(os.path.dirname(os.path.dirname(module.__file__)))
    return tuple(sorted(p if p.endswith(os.sep) else p + os.sep for p in prefixes))


def _twice_hook_check(event, args, frame, prefixes, trusted, send, state, introspection, tests):
    """Report ``event`` if the code that raised it is the submission's (see :func:`_twice_guard_start`)."""
    # the code that asked: the first frame outside the introspection modules (inspect, ctypes)
    while frame is not None and (
        frame.f_code.co_filename.endswith(introspection[0]) or introspection[1] in frame.f_code.co_filename
    ):
        frame = frame.f_back
    if frame is None or trusted(frame.f_code.co_filename, prefixes) or frame.f_code.co_filename.startswith(tests):
        return
    if state["reported"] < 20:
        state["reported"] += 1
        what = args[1] if event.startswith("object.") else event
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        try:
            send({"kind": "tamper", "what": f"{event} ({what})", "where": where})
        except OSError:
            pass


def _twice_guard_start(fifo, framework):
    """Import the tested libraries, open the channel, fingerprint, and install the audit hook."""
    import gc  # noqa: F401 - imported before the submission runs, as every module the hook uses
    import importlib
    import os
    import sys

    import numpy  # noqa: F401

    importlib.import_module("torch" if framework == "pytorch" else "tensorflow")
    for name in _TWICE_WATCHED_MODULES:  # submodules the tests use, imported now so they are watched
        if name.split(".")[0] in sys.modules or name.split(".")[0] == "twice":
            try:
                importlib.import_module(name)
            except ImportError:
                pass
    fd = os.open(fifo, os.O_WRONLY)
    os.dup2(fd, _TWICE_CHANNEL_FD)
    os.close(fd)
    prefixes = _twice_trusted_prefixes()
    keep = []
    baseline = _twice_fingerprint(keep, prefixes)
    watched_events = {
        "sys._getframe",
        "sys._current_frames",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sys.addaudithook",
        "sys.settrace",
        "sys.setprofile",
    }
    frames = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
    introspection = ("inspect.py", os.sep + "ctypes" + os.sep)
    send = _twice_send
    trusted = _twice_is_trusted
    getframe = sys._getframe
    state = {"reported": 0, "busy": False}
    secret = os.urandom(16).hex()  # the tests' code is compiled under a name with it, and may use what it audits
    tests = f"<grader's tests {secret} "
    check = _twice_hook_check

    def hook(event, args):
        if state["busy"]:  # an event of the hook's own (its sys._getframe)
            return
        if event in watched_events or event.startswith("ctypes.") or event == "object.__getattr__" and len(args) > 1 and args[1] in frames or event == "object.__setattr__" and len(args) > 1 and args[1] in ("__code__", "__defaults__", "__kwdefaults__"):
            pass
        else:
            return
        state["busy"] = True
        try:
            check(event, args, getframe(1), prefixes, trusted, send, state, introspection, tests)
        finally:
            state["busy"] = False

    hook.keep = keep  # the fingerprinted objects live as long as the hook, which is never removed
    sys.addaudithook(hook)
    _twice_send({"kind": "baseline", "fingerprint": baseline, "secret": secret})


def _twice_plain_message(error):
    """An assertion's or an error's message, as plain text of bounded length."""
    text = f"{type(error).__name__}: {error}" if not isinstance(error, AssertionError) else str(error)
    return str(text)[:300]


def _twice_modes(prefixes, when):
    """The submission's PyTorch function and dispatch modes active now (a mode sees, and may answer, every
    call into torch: ``torch.allclose`` among them); torch's own (``torch.set_default_device``'s) are allowed."""
    import inspect
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return []
    found = []
    stacks = (
        ("function", "__torch_function__", torch._C._len_torch_function_stack, torch._C._get_function_stack_at),
        ("dispatch", "__torch_dispatch__", torch._C._len_torch_dispatch_stack, torch._C._get_dispatch_stack_at),
    )
    for kind, method, length, at in stacks:
        for index in range(length()):
            mode = at(index)
            handler = inspect.getattr_static(type(mode), method, None)
            handler = getattr(handler, "__func__", handler)  # a classmethod's function
            code = getattr(handler, "__code__", None)
            if code is None or not _twice_is_trusted(code.co_filename, prefixes):
                found.append(f"a torch {kind} mode of the submission active {when} ({type(mode).__name__})")
    return found


def _twice_guard_finish(nonce, tests, secret):
    """Run the tests (``tests``: question -> (points, source)) and send the results and the fingerprint.

    The tests are compiled under the name that the guard's audit hook trusts (with ``secret``, which only
    the guard and the worker know), so that they may use what the hook reports of the submission's code
    (a test that watches calls with ``sys.setprofile``, say).
    """
    import inspect
    import threading

    namespace_of_the_submission = get_ipython().user_ns  # noqa: F821 - IPython's, in the kernel
    results = []
    prefixes = _twice_trusted_prefixes()
    modes = _twice_modes(prefixes, "before the tests")
    for question, (points, source) in tests.items():
        cases = []

        def test_case(
            points=None, hidden=False, name=None, success_message=None, failure_message=None, cases=cases
        ):
            def register(test, hidden=hidden, cases=cases):
                cases.append((test, hidden))
                return test

            return register

        namespace = {"__name__": f"twice_grading_test_{question}", "test_case": test_case}
        lines = [line for line in source.splitlines() if line.strip() != "from otter.test_files import test_case"]
        exec(compile("\n".join(lines), f"<grader's tests {secret} of {question}>", "exec"), namespace)  # noqa: S102
        outcomes = []
        for function, hidden in cases:
            arguments = []
            missing = None
            for parameter in inspect.signature(function).parameters:
                if parameter not in namespace_of_the_submission:
                    missing = parameter
                    break
                arguments.append(namespace_of_the_submission[parameter])
            if missing is not None:
                outcomes.append([function.__name__, False, f"name {missing!r} is not defined"])
                continue
            try:
                function(*arguments)
            except BaseException as error:  # noqa: BLE001 - a failing test, whatever it raised
                outcomes.append([function.__name__, False, _twice_plain_message(error)])
            else:
                outcomes.append([function.__name__, True, ""])
            modes += _twice_modes(prefixes, f"after {function.__name__}")
        results.append([question, float(points), outcomes])
    import types

    leftover = []
    for thread in threading.enumerate():
        target = vars(thread).get("_target")
        if type(target) is types.FunctionType and thread.is_alive():
            code = target.__code__
            if not _twice_is_trusted(code.co_filename, prefixes):
                leftover.append(f"a thread running {code.co_name} ({code.co_filename}:{code.co_firstlineno})")
    keep = []
    _twice_send(
        {
            "kind": "end",
            "nonce": nonce,
            "results": results,
            "fingerprint": _twice_fingerprint(keep, prefixes),
            "threads": leftover,
            "modes": modes,
        }
    )
