"""The HTTP edge: controllers, authentication, the error mapping and the OpenAPI document.

Controllers parse, authorise, call a service and return; services raise domain refusals,
and `app.http.errors` turns them into answers. Nothing outside the edges imports from here
except the composition root (`app.asgi`, `app.bootstrap`), which mounts it.
"""
