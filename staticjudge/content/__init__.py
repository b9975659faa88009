"""A course's content: problem markdown and hidden tests parsed once into typed models, and
statements rendered (Markdown, math, figures, worked examples). Imports runtime, model, project."""
