# syntax=docker/dockerfile:1
# finops container image: a build stage installs the package into a virtualenv with the pinned
# versions of requirements.lock (the same constraints `make` uses); the runtime stage copies only
# that virtualenv and runs as an unprivileged user.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/finops
COPY pyproject.toml requirements.lock ./
COPY src ./src
RUN /opt/finops/bin/python -m pip install -c requirements.lock .

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 finops \
 && useradd --system --uid 10001 --gid finops --home-dir /var/lib/finops --create-home finops
COPY --from=build /opt/finops /opt/finops
ENV PATH=/opt/finops/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FINOPS_ENV=production \
    FINOPS_DATA_DIR=/var/lib/finops \
    FINOPS_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/finops
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# Migrations run once per release (`finops db upgrade`, the Kubernetes Job), not in every replica.
CMD ["finops", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
