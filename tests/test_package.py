"""Tests for the packages as a whole: lazy framework imports, the public names and their documentation;
and twice_book, the book's tooling, which needs nothing but the standard library to import."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import twice
import twice_book

# Every module of the package. Importing any of them imports no framework, except training_torch, which is
# PyTorch code through and through (and is not imported by ``import twice``).
FRAMEWORK_FREE = {
    "twice.answers",
    "twice.attention",
    "twice.backends",
    "twice.benchmark",
    "twice.checks",
    "twice.convert",
    "twice.convolution",
    "twice.data",
    "twice.data.batches",
    "twice.data.digits",
    "twice.data.download",
    "twice.data.grammar",
    "twice.data.images",
    "twice.data.seq2seq",
    "twice.data.sequences",
    "twice.data.text",
    "twice.dense",
    "twice.determinism",
    "twice.devices",
    "twice.distributed",
    "twice.embeddings",
    "twice.export",
    "twice.glue",
    "twice.layouts",
    "twice.models",
    "twice.models.cnn",
    "twice.models.embedding",
    "twice.models.rnn",
    "twice.models.transformer",
    "twice.plotting",
    "twice.recurrent",
    "twice.stopping",
    "twice.timing",
}
IMPORTS_PYTORCH = {"twice.training_torch"}
# Names the package had before it was organised by concept; nothing may answer to them any more.
GONE = ["twice._frameworks", "twice.references", "twice.download", "twice.exercises"]


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this test session may already have imported the frameworks)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_twice_imports_no_framework() -> None:
    result = _run_python(
        "import sys, twice; "
        "assert 'tensorflow' not in sys.modules and 'torch' not in sys.modules and 'keras' not in sys.modules"
    )
    assert result.returncode == 0, result.stderr


def test_every_module_is_listed_as_framework_free_or_not() -> None:
    found = {info.name for info in pkgutil.walk_packages(twice.__path__, "twice.")}
    assert found == FRAMEWORK_FREE | IMPORTS_PYTORCH


def test_importing_the_framework_free_modules_imports_no_framework() -> None:
    result = _run_python(
        f"""
        import importlib, sys
        for name in {sorted(FRAMEWORK_FREE)!r}:
            importlib.import_module(name)
        leaked = [m for m in ("tensorflow", "torch", "keras") if m in sys.modules]
        assert not leaked, leaked
        """
    )
    assert result.returncode == 0, result.stderr


def test_framework_free_helpers_import_no_framework() -> None:
    # Seeding without a framework, data, batches, layouts, checks and the NumPy references must not pull a
    # framework in when they are called, either.
    result = _run_python(
        """
        import sys
        import numpy as np
        import twice
        from twice import checks, convolution, dense, layouts
        twice.seed_everything(0)
        twice.normalise_framework("tf")
        checks.integer(3, "n", minimum=1)
        d = twice.load_digits()
        twice.fixed_batches(10, 4, 1)
        next(twice.data.batch_stream(d.x_train, d.y_train, batch_size=4, max_shift=1, layout="NCHW"))
        twice.to_layout(d.x_train, "flat")
        layouts.rearrange(np.zeros((2, 3, 4, 4)), "N C H W", "N (H W C)")
        dense.init_mlp((4, 3))
        dense.DENSE_RULE.to_torch(np.zeros((4, 3)), np.zeros(3))
        convolution.conv2d(np.zeros((1, 1, 4, 4)), np.zeros((2, 1, 3, 3)))
        twice.on_colab()
        leaked = [m for m in ("tensorflow", "torch", "keras") if m in sys.modules]
        assert not leaked, leaked
        """
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", GONE)
def test_the_old_module_names_are_gone(name: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)


@pytest.mark.parametrize(
    "module",
    [
        "twice_book",
        "twice_book.ipynb",
        "twice_book.exercises",
        "twice_book.sphinx",
        "twice_book.side_by_side",
        "twice_book.figures",
        "twice_book.benchmark",
        "twice_book.grading_worker",
    ],
)
def test_twice_book_imports_nothing_outside_the_standard_library(module: str) -> None:
    # Compared with what the interpreter loaded before (site, .pth files, the editable install's finder).
    result = _run_python(
        f"""
        import sys
        before = set(sys.modules)
        import {module}
        new = {{name.partition(".")[0] for name in set(sys.modules) - before}}
        outside = sorted(new - set(sys.stdlib_module_names) - {{"twice_book"}})
        assert not outside, outside
        assert "numpy" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr


def test_seeding_one_framework_imports_only_that_framework() -> None:
    result = _run_python(
        """
        import sys
        import twice
        twice.seed_everything(0, "torch")
        assert "torch" in sys.modules
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr


def test_all_names_exist_and_are_unique() -> None:
    assert len(twice.__all__) == len(set(twice.__all__))
    missing = [name for name in twice.__all__ if not hasattr(twice, name)]
    assert missing == []


@pytest.mark.parametrize("package", ["twice", "twice.data", "twice.models"])
def test_star_import_gives_exactly_all(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)  # noqa: S102 (one of three constant strings)
    exported = importlib.import_module(package).__all__
    assert len(exported) == len(set(exported))
    assert set(namespace) - {"__builtins__"} == set(exported)


def _module_level_docstrings(module: object) -> dict[str, str]:
    """Attribute docstrings (a string literal right after a module-level assignment), by assigned name."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))  # type: ignore[arg-type]
    docs: dict[str, str] = {}
    for stmt, following in zip(tree.body, tree.body[1:]):
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = list(stmt.targets)
        elif isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            for target in targets:
                if isinstance(target, ast.Name):
                    docs[target.id] = following.value.value
    return docs


def _submodules() -> list[types.ModuleType]:
    return [importlib.import_module(info.name) for info in pkgutil.walk_packages(twice.__path__, "twice.")]


@pytest.mark.parametrize("name", twice.__all__)
def test_every_public_name_has_its_own_docstring(name: str) -> None:
    obj = getattr(twice, name)
    if inspect.ismodule(obj):
        assert obj.__doc__ and obj.__doc__.strip(), f"module {name} has no docstring"
        assert obj.__name__ == f"twice.{name}"
    elif inspect.isclass(obj) or inspect.isroutine(obj):
        doc = obj.__doc__
        assert doc and doc.strip(), f"{name} has no docstring"
        # Dataclasses without a docstring get a generated one, "Name(field: type, ...)"; that does not count.
        assert not doc.startswith(f"{name}("), f"{name} only has the generated dataclass docstring"
    else:
        # A constant such as a dict: its __doc__ is its type's, so look for an attribute docstring in the source.
        defining = [
            m
            for m in _submodules()
            if any(_assigns(stmt, name) for stmt in ast.parse(inspect.getsource(m)).body)
        ]
        assert len(defining) == 1, f"cannot find the one module that defines {name}: {defining}"
        docs = _module_level_docstrings(defining[0])
        assert docs.get(name, "").strip(), f"{name} has no attribute docstring in {defining[0].__name__}"


def _assigns(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    return isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name


def test_every_module_has_a_docstring() -> None:
    modules = (
        _submodules()
        + [twice_book]
        + [
            importlib.import_module(info.name)
            for info in pkgutil.walk_packages(twice_book.__path__, "twice_book.")
        ]
    )
    assert {m.__name__ for m in modules} == FRAMEWORK_FREE | IMPORTS_PYTORCH | {
        "twice_book",
        "twice_book.exercises",
        "twice_book.ipynb",
        "twice_book.sphinx",
        "twice_book.side_by_side",
        "twice_book.figures",
        "twice_book.benchmark",
        "twice_book.grading_worker",
        "twice_book.grading_guard",
    }
    for module in modules:
        assert module.__doc__ and module.__doc__.strip(), module.__name__


def test_package_has_a_docstring_that_promises_lazy_imports() -> None:
    assert twice.__doc__ is not None
    assert "imports neither TensorFlow nor PyTorch" in twice.__doc__


def test_version_matches_the_installed_distribution() -> None:
    assert twice.__version__ == importlib.metadata.version("twice")


@pytest.mark.parametrize("package", [twice, twice_book], ids=lambda p: p.__name__)
def test_typed_marker_ships_with_the_package(package: types.ModuleType) -> None:
    assert (Path(inspect.getfile(package)).parent / "py.typed").is_file()
