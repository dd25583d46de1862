"""Gunicorn settings for serving the app from a container or VM (`gunicorn -c config/gunicorn.py
config.wsgi:application`); Lambda (Zappa) does not use them. The benchmark's API part serves with these too.

Sizing, measured on two shared cores with PostgreSQL and the load generator on the same machine
(docs/benchmarks.md): a request is a few milliseconds of Python between short waits on PostgreSQL, so two
worker processes per core, each with two threads, keep both cores busy while a thread waits on the database.
More threads per process only queue more requests behind one interpreter lock (2 x 8 had the longest tails),
and sync workers close every connection after one request.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# WEB_CONCURRENCY is the name platforms (Heroku, Render, ...) set for the number of processes.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# Clients and load balancers reuse connections; 5 s covers a browser's next request without holding idle sockets.
keepalive = 5
backlog = 256
timeout = 30
graceful_timeout = 20
# One line per request at 300 requests a second is its own load; errors still reach the log.
accesslog = None
loglevel = os.environ.get("LOG_LEVEL", "warning").lower()
