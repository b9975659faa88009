"""staticjudge: a static-site generator for browser-graded coding problems.

Layers, each importing only those below it: ``runtime`` (what the browser's worker runs),
``model`` and ``project``; then ``content`` and ``grading``; then ``authoring``, ``classroom``
and ``site``; then ``cli``. ``tests/test_layers.py`` holds the package to it.
"""

__version__ = "0.2.0"
