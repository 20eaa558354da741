"""gunicorn settings shared by every function. Loopback unless APP_HOST says otherwise (a pod sets 0.0.0.0)."""

import os

bind = f"{os.environ.get('APP_HOST', '127.0.0.1')}:{os.environ.get('APP_PORT', '8080')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 20
accesslog = None  # the app logs JSON lines itself
# gunicorn >= 24 opens a control socket at one path per user; several functions on one host would share it.
control_socket_disable = True
