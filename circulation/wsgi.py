"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circulation.settings")
application = get_wsgi_application()

# Move everything loaded at start-up (Django, the apps, the URL conf: ~190,000 objects) into the
# permanent generation, so that a full collection no longer walks it: one full pass fell from
# 219 ms to 48 ms in the confirm benchmark's workers (docs/benchmarks.md, "what widens the tail").
gc.freeze()
