"""The city simulator: washers and customers as real clients of the public HTTP API and `/ws`.

It is a client like any phone app: it talks to the server only through the Python client
SDK (`washline_client`) and never touches the database or the server's code, so the
dashboard it brings to life shows exactly what production traffic would look like.
Run it with `python -m washline_simulator --base-url URL` (or `washline simulate`).
"""
