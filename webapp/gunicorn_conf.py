"""Gunicorn settings for production: `gunicorn -c python:webapp.gunicorn_conf 'webapp.wsgi:app'`.

The worker shape is the one that measured best on the 2-core development machine with
`bench/http_bench.py --gunicorn` (SQLite and PostgreSQL; see the README's Production section):
threaded workers, because a request spends much of its time waiting for the database: four
workers of four threads led on PostgreSQL and came second on SQLite (one worker of eight there),
two workers of four came last on both.
ANJIE_WEB_WORKERS and ANJIE_WEB_THREADS change it; a command-line flag (-w, --threads, -b)
still wins over this file.
"""

from __future__ import annotations

import os

bind = os.environ.get("ANJIE_WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("ANJIE_WEB_WORKERS", "4"))
threads = int(os.environ.get("ANJIE_WEB_THREADS", "4"))
#: API clients and browsers keep their connection between requests (no new TCP handshake each).
keepalive = 5
# No preload_app: each worker opens its own database connections after the fork.
preload_app = False
