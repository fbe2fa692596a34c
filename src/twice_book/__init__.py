"""The book's own tooling, kept apart from the helpers that learners import (``twice``).

* :mod:`twice_book.ipynb`: reading and writing notebook files, and the repository line of their Colab cells
  (standard library only, so ``tasks.py`` can use it before anything is installed);
* :mod:`twice_book.exercises`: otter-grader's student and autograder versions, and grading without Docker;
* :mod:`twice_book.sphinx`: the Sphinx extension that hides otter's solution markers in the rendered book;
* :mod:`twice_book.figures`: the concept figures of the overview pages, redrawn by ``tasks.py figures``.

Importing this package imports nothing outside the standard library; otter-grader is imported only by the
functions that assign and grade, Matplotlib only by the functions that draw.
"""
