"""Tests for the package as a whole: lazy framework imports, the public names and their documentation."""

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


def test_framework_free_helpers_import_no_framework() -> None:
    # Seeding without a framework, data, batches and the NumPy references must not pull a framework in.
    result = _run_python(
        """
        import sys
        import twice
        from twice import references
        twice.seed_everything(0)
        twice.normalise_framework("tf")
        d = twice.load_digits()
        twice.fixed_batches(10, 4, 1)
        twice.to_layout(d.x_train, "flat")
        references.init_mlp((4, 3))
        twice.on_colab()
        leaked = [m for m in ("tensorflow", "torch", "keras") if m in sys.modules]
        assert not leaked, leaked
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


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from twice import *", namespace)  # noqa: S102 (a constant string)
    assert set(namespace) - {"__builtins__"} == set(twice.__all__)


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
    return [importlib.import_module(f"twice.{info.name}") for info in pkgutil.iter_modules(twice.__path__)]


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


def test_every_submodule_has_a_docstring() -> None:
    modules = _submodules()
    assert {m.__name__ for m in modules} >= {
        "twice._frameworks",
        "twice.data",
        "twice.determinism",
        "twice.devices",
        "twice.plotting",
        "twice.references",
    }
    for module in modules:
        assert module.__doc__ and module.__doc__.strip(), module.__name__


def test_package_has_a_docstring_that_promises_lazy_imports() -> None:
    assert twice.__doc__ is not None
    assert "imports neither TensorFlow nor PyTorch" in twice.__doc__


def test_version_matches_the_installed_distribution() -> None:
    assert twice.__version__ == importlib.metadata.version("twice")


def test_typed_marker_ships_with_the_package() -> None:
    assert (Path(twice.__file__).parent / "py.typed").is_file()
