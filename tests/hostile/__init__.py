"""The hostile-file corpus (files/, manifest.yaml, make_corpus.py) and helpers for the loader tests."""
