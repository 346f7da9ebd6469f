"""gunicorn settings for the embedded default: one process, many threads.

One process keeps the in-process event bus and worker whole; threads serve the browsers
that wait on a QR login. Several processes or machines need GATEWAY_REDIS_URL (see README).
Override any of these on the command line, e.g. ``--bind 0.0.0.0:8000``.
"""

bind = "127.0.0.1:8000"
workers = 1
worker_class = "gthread"
threads = 64
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = None  # the gateway writes its own access log, without tokens or query strings
errorlog = "-"


def post_worker_init(worker) -> None:
    """Start the push delivery worker and the daily retention purge beside the web server,
    in this one process."""
    from gateway.housekeeping import Housekeeper
    from gateway.cli.push import start_embedded

    start_embedded(worker.wsgi)
    Housekeeper(worker.wsgi).start()


def worker_exit(server, worker) -> None:
    """Let the push worker finish what is in flight before the process goes."""
    from gateway.cli.push import stop_embedded

    if getattr(worker, "wsgi", None) is not None:
        stop_embedded(worker.wsgi)
