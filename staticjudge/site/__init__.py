"""The static site: pages rendered from the content, the page's JavaScript and Pyodide assets,
the offline copy, and ``serve``. Imports content, grading and below; never authoring or classroom."""
