"""What an author runs: ``check`` (proves problems sound, with generated mutants) and ``new``.
Imports content, grading and the layers below them; never classroom or site."""
