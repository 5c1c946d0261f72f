# Dobby as a container: `docker compose up -d` (see docker-compose.yml).
# Config is mounted at /config, state (the SQLite database) at /data; secrets come from
# the environment (an env file), never from the image or the YAML.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DOBBY_HTTP_PORT=8790

# espeak-ng speaks announcements on the speakers, offline (devices/announcements.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY agent ./agent
COPY devices ./devices
COPY skills ./skills
COPY config ./config
RUN pip install . \
    && useradd --system --uid 1000 --home-dir /data dobby \
    && mkdir -p /data /config \
    && cp -r config/. /config/ \
    && chown -R dobby /data /config

USER dobby
VOLUME ["/config", "/data"]

# /healthz answers 200 once the house and the channels are up, 503 while starting/stopping.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('DOBBY_HTTP_PORT', '8790'), timeout=4)"]

# SIGTERM stops Dobby gracefully: in-flight actions finish, connections close.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dobby"]
CMD ["run", "--config", "/config", "--state", "/data"]
