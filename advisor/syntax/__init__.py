"""The syntax layer under ``analysis`` and ``codemods``: one source type, one scope and binding
model, loop-shape recognition, and one edit toolkit. It depends only on ``advisor.model`` and
``advisor.errors`` (and libcst, imported only by the modules that parse a region with it)."""
