"""Grading a class natively: the learner's code isolated from the tests, and gradebooks.

- ``wire.py``: the plain data that crosses between the two processes (no pickle);
- ``zygote.py``: a clean interpreter that forks one learner process per run;
- ``learner.py``: the learner's process (loads the code, answers calls);
- ``sandbox.py``: what confines it (limits, capabilities, seccomp, Landlock);
- ``isolated.py``: the tests' side (proxies for the entry functions, used by ``runner.py``);
- ``answers.py``: the page's exported answer files (``answers.schema.json``), read and checked;
- ``gradebook.py``: ``build.py grade-class``: every answer of every file, on every core, to a
  CSV, a JSON and one HTML report per learner.
"""
