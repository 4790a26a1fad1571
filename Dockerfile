# syntax=docker/dockerfile:1
# Washline server image: `docker build -t washline:dev .`
# Two stages: the builder installs the package and its dependencies into a virtualenv; the
# runtime stage copies only that virtualenv onto a clean python:3.11-slim. No compiler,
# no pip cache and no source tree end up in the image.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY domain ./domain
COPY realtime ./realtime
COPY persistence ./persistence
# The JavaScript SDK the app serves at /sdk/ (app/sdk/static links to it).
COPY clients/js ./clients/js

# A regular (non-editable) install: package data (dashboard assets, migrations,
# alembic.ini) lands in site-packages and pip byte-compiles everything, so the runtime
# never needs to write .pyc files on its read-only root filesystem. pip itself is then
# removed: the runtime installs nothing.
RUN pip install --upgrade pip \
 && pip install . \
 && pip uninstall --yes pip setuptools wheel


FROM python:${PYTHON_VERSION}-slim AS runtime

ARG WASHLINE_UID=10001
ARG WASHLINE_GID=10001

LABEL org.opencontainers.image.title="washline" \
      org.opencontainers.image.description="Real-time backend for an on-demand mobile car-wash business"

# A fixed uid/gid, matched by runAsUser/runAsGroup in k8s/, with no login shell and no home.
RUN groupadd --system --gid "${WASHLINE_GID}" washline \
 && useradd --system --uid "${WASHLINE_UID}" --gid washline \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin washline \
 && install -d -o washline -g washline -m 0750 /srv/washline

COPY --from=builder /opt/venv /opt/venv

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONFAULTHANDLER=1

# The working directory is writable by the app user so that `docker run` with no
# configuration (embedded SQLite, ./washline.db) works; Kubernetes runs with a read-only
# root filesystem and PostgreSQL instead.
WORKDIR /srv/washline
USER 10001:10001

EXPOSE 8000

# uvicorn drains on SIGTERM: readiness turns 503, WebSockets close with 1012, SSE streams
# end, in-flight requests get SHUTDOWN_GRACE_SECONDS (default 20) to finish.
STOPSIGNAL SIGTERM

# slim has no curl: probe /health with the standard library.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"]

# One uvicorn process per container (docs/deploy.md, "Why one process per pod").
CMD ["washline", "serve", "--host", "0.0.0.0", "--port", "8000"]
