# The portal's image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
# The base image by tag. To pin it by digest (reproducible builds), build with
#   --build-arg PYTHON_IMAGE=python:3.12-slim@sha256:<digest>
# taking the digest from `docker buildx imagetools inspect python:3.12-slim` on a machine that
# reaches Docker Hub (the machine this file was written on does not).
ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 portal

# Every package, the dependencies' dependencies included, at the version and with the hashes of
# the lock files (pip-compile --generate-hashes; see requirements.txt): a changed or substituted
# file on the index fails the build. MEDIA_STORAGE=s3 needs django-storages: build with
# --build-arg MEDIA_STORAGE_S3=1 (requirements-s3.lock is the runtime's lock plus its packages).
COPY requirements.lock requirements-s3.lock ./
ARG MEDIA_STORAGE_S3=0
RUN if [ "$MEDIA_STORAGE_S3" = "1" ]; then lock=requirements-s3.lock; else lock=requirements.lock; fi \
    && pip install --no-deps --require-hashes -r "$lock"

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
