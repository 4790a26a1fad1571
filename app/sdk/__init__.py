"""The JavaScript client SDK, served by the app (`/sdk/washline.js`) so pages load it from
the server they talk to. The files are links to `clients/js/`, the one copy."""
