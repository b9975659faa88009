"""A class's grades: the answer files the pages export, read and checked, and ``grade-class``'s
gradebook. Imports content, grading and the layers below them; never authoring or site."""
