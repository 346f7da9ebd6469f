"""gunicorn settings for the embedded default: one process, a pool of threads.

One process keeps the in-process event bus and worker whole. Its worker
(``gateway/serving.py``) is gunicorn's gthread, except that a connection gets a thread only
once its request's head has arrived whole (``gateway/serving_heads.py``: a silent or slow
client holds none, and is closed after GATEWAY_HEADER_TIMEOUT_SECONDS), and a browser
waiting on a QR login's event stream holds no thread: its connection is parked, and one thread writes to
every parked stream. So the threads serve requests being answered, and a thousand waiting
browsers add under 20 MB (``python -m tests.bench bench_qrlogin`` measures it). Several
processes or machines need GATEWAY_REDIS_URL (see README). Override any of these on the
command line, e.g. ``--bind 0.0.0.0:8000``.
"""

import resource

bind = "127.0.0.1:8000"
workers = 1
worker_class = "gateway.serving.Worker"  # gthread, with waiting browsers parked (no thread each)
threads = 64  # for requests being answered; a waiting browser holds none (serving.py)
# Connections held at once (reading a head, being answered, kept alive): past it a new one
# is answered 503 and closed at once (serving_heads.py). As many waiting streams again.
worker_connections = 4000
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = None  # the gateway writes its own access log, without tokens or query strings
errorlog = "-"


def on_starting(server) -> None:
    """Allow a descriptor per open connection: many systems start processes with a soft
    limit of 1,024 open files, which a thousand waiting browsers would exhaust."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Connections gunicorn counts, as many parked streams (gateway/serving.py), and the
    # store, the logs and the push worker's sockets.
    wanted = 2 * server.cfg.worker_connections + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def post_worker_init(worker) -> None:
    """Start the push delivery worker and the daily retention purge beside the web server,
    in this one process; keep its event streams within what this worker serves."""
    from gateway.privacy.housekeeping import Housekeeper
    from gateway.web.streams import fit_to_server

    # Past its bound on parked streams, or over TLS it terminates itself, each stream would
    # hold one of the worker's threads: GATEWAY_STREAMS_TOTAL is lowered to fit.
    fit_to_server(worker.wsgi, threads=worker.cfg.threads,
                  parks=getattr(worker, "hub", None) is not None and not worker.cfg.is_ssl,
                  connections=worker.cfg.worker_connections)

    gateway = worker.wsgi.extensions["gateway"]  # what the composition root built
    gateway.push.start_embedded()
    Housekeeper(gateway).start()


def worker_exit(server, worker) -> None:
    """Let the push worker finish what is in flight before the process goes."""
    if getattr(worker, "wsgi", None) is not None:
        worker.wsgi.extensions["gateway"].push.stop_embedded()
