"""The run command's gunicorn settings (``gateway/gunicorn_conf.py``) for an app that is
not the gateway: the same worker class, threads, connections and keep-alive, without the
hooks that start the gateway's push worker and housekeeper (the app has neither).
Benchmarks serve their bare Flask yardstick with it, so both sides run the same server."""

from gateway.gunicorn_conf import *  # noqa: F403


def post_worker_init(worker) -> None:
    pass


def worker_exit(server, worker) -> None:
    pass
