# One image for every process of the stack; docker-compose picks the process with `caunoi serve NAME`.
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential curl \
    && rm -rf /var/lib/apt/lists/* && useradd --create-home --uid 10001 caunoi
WORKDIR /app

COPY pyproject.toml constraints.lock README.md ./
COPY bot/__init__.py bot/__init__.py
COPY nlu/__init__.py nlu/__init__.py
COPY actions/__init__.py actions/__init__.py
RUN pip install --no-cache-dir -c constraints.lock -e .

COPY . .
# The model is trained into the image, so every container of one image answers the same way.
RUN caunoi train && chown -R caunoi /app/models
USER caunoi
