"""The standalone host: the ``lime-scim`` command and the gunicorn server it runs.

This is the top layer, so it may import every other layer and wires them together.
"""
