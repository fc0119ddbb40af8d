# One image for the four apps; compose picks the app with the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY gateway ./gateway
COPY scripts ./scripts
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install -e . && useradd --system --uid 10001 banso
USER banso
EXPOSE 8000 8001 8002 8003
