"""gunicorn settings for the embedded default: one process, many threads.

One process keeps the in-process event bus and worker whole; threads serve the browsers
that wait on a QR login, one thread each for as long as it waits. gunicorn starts threads
only as requests need them, so the idle process holds a handful, and a thousand waiting
browsers add some tens of MB (``python -m tests.bench bench_qrlogin`` measures both).
Several processes or machines need GATEWAY_REDIS_URL (see README). Override any of these
on the command line, e.g. ``--bind 0.0.0.0:8000``.
"""

import resource

bind = "127.0.0.1:8000"
workers = 1
worker_class = "gthread"
threads = 1100  # 1,000 browsers waiting on a QR login, and room for everyone else
worker_connections = 2000  # open connections, waiting or idle between keep-alive requests
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = None  # the gateway writes its own access log, without tokens or query strings
errorlog = "-"


def on_starting(server) -> None:
    """Allow a descriptor per open connection: many systems start processes with a soft
    limit of 1,024 open files, which a thousand waiting browsers would exhaust."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = server.cfg.worker_connections + 1024  # the store, logs, the push worker's sockets
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


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
