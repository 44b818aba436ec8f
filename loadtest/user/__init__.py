"""The simulated user: what the locustfile runs against the API.

``locust_user`` (the Locust user class, its options and event listeners), ``tasks`` (its five task
sets), ``session`` (the API session: key, tokens, checks of each answer), ``data`` (fake data),
``status`` (the status line and the early stop), ``preflight`` (the auth check before any load),
``safety`` (the production guard).

This ``__init__`` imports nothing: importing Locust patches the standard library through gevent,
and the runner and the gate read ``status`` and ``safety`` without wanting that.
"""
