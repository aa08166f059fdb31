"""kg: a literature knowledge-graph wiki.

The package reads as its pipeline: files → notes → graph → outputs.

- ``discover``/``config``: which files make the wiki, and its settings;
- ``frontmatter``/``body``/``parse``: one file into one immutable :class:`~kg.model.Note`;
- ``resolve``: every note together into a :class:`~kg.model.Wiki` with resolved edges;
- ``rdf``/``network``: the two projections of the records (RDF, NetworkX);
- ``render``/``site``: the static site; ``build``: the whole pipeline in one function.
"""

__version__ = "0.1.0"
