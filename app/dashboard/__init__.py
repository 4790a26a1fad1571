"""The admin operations console: a static page that streams the `ops` channel over SSE."""
