# circulation 收文传阅 — production image (gunicorn; the same image runs Celery worker/beat/flower).
FROM python:3.11-slim-bookworm

# PYTHONPATH: import the project from the source tree in /app, where templates/ and locale/ sit
# beside the packages (gunicorn, celery and manage.py then all see the same code).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    MEDIA_ROOT=/data/media

# Pango/HarfBuzz for PDF rendering and a CJK font so Chinese text does not render as boxes;
# outline fallbacks for the record: CJK Extensions B–F (fonts-hanazono) and emoji (fonts-symbola).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig \
        fonts-hanazono fonts-symbola \
    && fc-cache -f \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 circulation \
    && useradd --system --uid 10001 --gid circulation --home-dir /app --shell /usr/sbin/nologin \
        circulation

WORKDIR /app
COPY . /app

# flower is not a project dependency: the optional `flower` compose profile uses it. The pkcs11
# extra (python-pkcs11, a manylinux wheel) lets SEAL_PKCS11_MODULE point at a vendor's token
# library mounted into the container; without that setting it is never imported.
RUN pip install ".[pkcs11]" "flower>=2,<3"

# Static files are baked into the image (whitenoise serves them). The key only lets the settings
# load at build time; it is not used at run time.
RUN SECRET_KEY=collectstatic-build-only DEBUG=false python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /data/media \
    && chown -R circulation:circulation /data /app/var

USER circulation

EXPOSE 8000
# circulation/gunicorn_conf.py: sync workers, WEB_CONCURRENCY of them (default 2 × cores + 1), each
# freezing its heap after its first requests (gc.freeze(): no full garbage collection pass on the
# request path); docs/benchmarks.md, confirm latency.
CMD ["gunicorn", "circulation.wsgi:application", "-c", "circulation/gunicorn_conf.py", "--bind", "0.0.0.0:8000", "--timeout", "60"]
