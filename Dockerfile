# The harness as services: the Graph fake, the Miro fake and the provisioning engine.
#   docker build -t entra-miro-harness .
#   docker run --rm -p 8000:8000 -p 8001:8001 -e HARNESS_CONTROL_TOKEN="$(openssl rand -hex 24)" entra-miro-harness
# It binds 0.0.0.0, so the control plane (/_fake/, the Miro token included) answers only requests
# with the header X-Harness-Control-Token: $HARNESS_CONTROL_TOKEN. Without that variable a token
# is generated: read it with `docker exec <container> cat /data/ready.json` (control_token).
# The health check (/_fake/health) stays open. docs/serve.md, "In a container".
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what the package needs (see .dockerignore); cheroot, the production WSGI server, is a dependency.
COPY pyproject.toml README.md ./
COPY harness ./harness
COPY mock_graph ./mock_graph
COPY mock_miro ./mock_miro
COPY fakekit ./fakekit
RUN pip install . \
    && useradd --create-home --uid 10001 harness \
    && install -d -o harness -g harness /data

USER harness
EXPOSE 8000 8001

# Both listeners answer /_fake/health; the Graph one also reports the engine's jobs.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/_fake/health', timeout=2).status != 200)"]

# A writable place for --state files (mount a volume here to keep them).
WORKDIR /data

# harness serve handles SIGTERM (docker stop): it saves --state, if given, and exits cleanly.
CMD ["harness", "serve", "--host", "0.0.0.0", "--graph-port", "8000", "--miro-port", "8001", "--ready-file", "/data/ready.json"]
