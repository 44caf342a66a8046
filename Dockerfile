# One image for the web server, the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=zezhou_heat.settings.production
WORKDIR /app

COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY . .
# Static assets are collected at build time; nothing is fetched at run time.
RUN DJANGO_SETTINGS_MODULE=zezhou_heat.settings.local python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 zezhou && mkdir -p var && chown zezhou var
USER zezhou

EXPOSE 8000
# --no-proxy-headers: the client address and scheme are taken from X-Forwarded-* by the
# application, and only from the proxies listed in TRUSTED_PROXIES (zezhou_heat/proxies.py).
CMD ["uvicorn", "zezhou_heat.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--no-proxy-headers", "--ws-per-message-deflate", "false"]
