"""Recognition of stamped part markings: photo in, catalog-matched reading out.

This package never imports ``web``: it can be used from the CLI, the server
or a notebook alike.
"""
