"""R17 beyond pseudonymization: erasure, suppression, retention and tenant export.

docs/privacy.md is the reader's account of what is stored, where, for how long, and
how each request is honoured.
"""
