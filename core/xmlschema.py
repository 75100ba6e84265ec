"""XML Schema with lxml in a threaded process. libxml2 sets up its built-in schema types the first
time a schema is parsed, and that set-up is not thread-safe: two threads parsing their first XSD at
once (two uploads in gunicorn threads) can leave it broken — "xmlSchemaPValAttrNodeValue, the given
type is not a built-in type" — for every later parse. And a schema's `error_log` is one per schema
object, shared by the threads validating with it. So:

- `warm_up()` parses an empty schema once, in the main thread, at start-up (CoreConfig.ready);
- every XSD is loaded, and every validation run, holding `LOCK`."""
from __future__ import annotations

import threading

from lxml import etree

LOCK = threading.RLock()
_EMPTY = b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'


def warm_up() -> None:
    with LOCK:
        etree.XMLSchema(etree.XML(_EMPTY))
