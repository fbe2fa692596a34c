"""Every docstring example runs and shows what it says; every public helper has one and names its chapter.

A reader meets the helpers in the notebooks and looks them up in their docstrings, so the examples there are
part of the book: each module's examples run here as doctests, the attribute docstrings of its constants
(``DENSE_RULE``, ``CONV2D_RULE``: strings after an assignment, which :mod:`doctest` itself does not find)
included. And every public function and class of ``twice`` has at least one example, unless it is listed in
``NO_EXAMPLE`` with the reason, and says in which chapter it is introduced ("Introduced in chapter N").
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import itertools
import pkgutil
import re
import types
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the plotting examples draw figures; no display needed

import matplotlib.pyplot as plt
import pytest

import twice
import twice_book

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CHAPTER = re.compile(r"Introduced in chapter \d")

# Public functions and classes that cannot have a short runnable example, each with the reason. (Framework
# code is not a reason: TensorFlow and PyTorch are installed wherever the tests run.) Empty today: every
# helper has an example.
NO_EXAMPLE: dict[str, str] = {}


def _module_names(package: types.ModuleType) -> list[str]:
    """The package and every module below it, by name (walking imports the subpackages, not the modules)."""
    return [package.__name__] + [
        info.name for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    ]


MODULES = _module_names(twice) + _module_names(twice_book)
TWICE_MODULES = _module_names(twice)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")  # the plotting examples leave their figures open, as a notebook would


def _attribute_doctests(module: types.ModuleType) -> list[doctest.DocTest]:
    """The examples in a module's attribute docstrings: a string literal right after a module-level assignment."""
    path = Path(inspect.getfile(module))
    found = []
    for statement, following in itertools.pairwise(ast.parse(path.read_text(encoding="utf-8")).body):
        if not (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)):
            continue
        text = following.value.value
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        for target in targets:
            if isinstance(target, ast.Name) and isinstance(text, str) and ">>>" in text:
                name, line = f"{module.__name__}.{target.id}", following.lineno - 1
                found.append(
                    doctest.DocTestParser().get_doctest(text, dict(vars(module)), name, str(path), line)
                )
    return found


def _doctests(module: types.ModuleType) -> list[doctest.DocTest]:
    found = doctest.DocTestFinder(exclude_empty=True).find(module, module.__name__)
    return [test for test in found if test.examples] + _attribute_doctests(module)


# The fixtures (tests/conftest.py) that import each framework, or skip where it is missing.
FRAMEWORK_FIXTURES = {"torch": "torch", "tensorflow": "tf", "keras": "keras"}


def _skip_if_missing(missing: list[str | None], request: pytest.FixtureRequest) -> None:
    """Skip, as the other framework tests do, if a framework is missing (the fixture skips; and a skip fails
    the run unless TWICE_ALLOW_SKIPS=1 says that the framework is missing on purpose)."""
    for name in missing:
        if name in FRAMEWORK_FIXTURES:
            request.getfixturevalue(FRAMEWORK_FIXTURES[name])


def _import(module_name: str, request: pytest.FixtureRequest) -> types.ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:  # twice.training_torch imports PyTorch
        _skip_if_missing([error.name], request)
        raise


@pytest.mark.parametrize("module_name", MODULES)
def test_the_docstring_examples_of_each_module_run_as_shown(
    module_name: str, request: pytest.FixtureRequest
) -> None:
    tests = _doctests(_import(module_name, request))
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    text = "".join(report)
    if runner.failures:
        _skip_if_missing(re.findall(r"No module named '(\w+)'", text), request)
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples failed:\n{text}"


def test_the_examples_of_the_constants_are_found_too() -> None:
    # doctest itself does not see attribute docstrings; without them DENSE_RULE's example would never run.
    names = {test.name for test in _attribute_doctests(importlib.import_module("twice.dense"))}
    assert {"twice.dense.DENSE_RULE", "twice.dense.FLATTEN_DENSE_RULE"} <= names
    failing = doctest.DocTestParser().get_doctest(">>> 1 + 1\n3\n", {}, "a failing example", None, 0)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    runner.run(failing, out=lambda _: None)
    assert runner.failures == 1  # and a wrong output is a failure, not a pass


def _public(module: types.ModuleType) -> dict[str, object]:
    """The module's public functions and classes: callable, not starting with _, defined in the module."""
    return {
        f"{module.__name__}.{name}": value
        for name, value in vars(module).items()
        if not name.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == module.__name__
    }


def test_the_public_names_are_found(request: pytest.FixtureRequest) -> None:
    found = {name for module_name in TWICE_MODULES for name in _public(_import(module_name, request))}
    for name in ("twice.dense.softmax", "twice.layouts.WeightRule", "twice.data.digits.Digits"):
        assert name in found
    # Imported names belong to the module that defines them, and constants are not callable.
    assert "twice.data.batches.to_layout" not in found and "twice.dense.DENSE_RULE" not in found
    # The allow-list names helpers that exist, each with its reason.
    assert set(NO_EXAMPLE) <= found and all(reason.strip() for reason in NO_EXAMPLE.values())


@pytest.mark.parametrize("module_name", TWICE_MODULES)
def test_every_public_function_and_class_has_an_example(
    module_name: str, request: pytest.FixtureRequest
) -> None:
    public = _public(_import(module_name, request))
    missing = [
        name
        for name, value in public.items()
        if ">>>" not in (value.__doc__ or "") and name not in NO_EXAMPLE
    ]
    assert missing == [], f"no >>> example (add one, or list it in NO_EXAMPLE with the reason): {missing}"
    # The allow-list stays honest: it names only helpers of this module that still have no example.
    listed = [name for name in NO_EXAMPLE if name.rpartition(".")[0] == module_name]
    stale = [name for name in listed if name not in public or ">>>" in (public[name].__doc__ or "")]
    assert stale == [], f"NO_EXAMPLE lists names that are gone or now have an example: {stale}"


@pytest.mark.parametrize("module_name", TWICE_MODULES)
def test_every_public_function_and_class_names_the_chapter_that_introduces_it(
    module_name: str, request: pytest.FixtureRequest
) -> None:
    public = _public(_import(module_name, request))
    missing = [name for name, value in public.items() if not CHAPTER.search(value.__doc__ or "")]
    assert missing == [], f'no "Introduced in chapter N" in the docstring: {missing}'
