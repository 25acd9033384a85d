"""pressgraph's data files (knowledge base, rules), installed as the package `pipeline.models`.

Read them with `importlib.resources.files("pipeline.models")`; see README.md here.
"""
