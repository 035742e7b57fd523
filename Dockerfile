# The portal's image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 portal

COPY requirements.txt requirements-s3.txt ./
RUN pip install -r requirements.txt
# MEDIA_STORAGE=s3 needs django-storages: build with --build-arg MEDIA_STORAGE_S3=1.
ARG MEDIA_STORAGE_S3=0
RUN if [ "$MEDIA_STORAGE_S3" = "1" ]; then pip install -r requirements-s3.txt; fi

COPY . .
# Static files are collected with the production storage (hashed names, compressed copies) at
# build time; the key is a throw-away that exists only in this build step.
RUN DEBUG=0 SECRET_KEY=collectstatic-only ALLOWED_HOSTS=build CACHE_URL=locmem:// \
    python manage.py collectstatic --no-input \
    && mkdir -p /app/var/media \
    && chown -R portal:portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
