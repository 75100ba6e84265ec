import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Load now what the first request would load (the URLconf, and through it the views and the
# GraphQL schema), so that it is frozen below with the rest.
from django.urls import get_resolver

_ = get_resolver().url_patterns
import schema.schema  # noqa: F401

# Everything imported so far lives as long as the process: keep it out of the garbage collector's
# full collections, which otherwise add 50-80 ms pauses to ~1 request in 20 (docs/performance.md).
gc.collect()
gc.freeze()
