"""One construct per capability; the stack only wires them together.

Import as `cdk.constructs.<module>`: the package name shadows the `constructs` library only if `cdk/`
itself is put on sys.path, which is why the app runs as `python -m cdk.app` from the repo root.
"""
