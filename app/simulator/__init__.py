"""The city simulator: washers and customers as real clients of the public HTTP API and `/ws`.

It never touches the database: everything it does, a phone could do, so the dashboard it
brings to life shows exactly what production traffic would look like.
"""
