"""The hub's authenticator: JupyterHub's NativeAuthenticator (sign-up with a password, the
instructor approves), with one repair for JupyterHub 6.

nativeauthenticator 1.3.0, the latest release, times each login with ``self.statsd``, the
statsd client JupyterHub 6 removed; every login then fails with a 500. Until a release fixes
it, its login handler gets a client that does nothing (all the rest is nativeauthenticator's).
"""
from __future__ import annotations

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator import handlers as native_handlers


class _NoStats:
    """Stands in for the statsd client: ``timer(name).start()`` ... ``.stop(send=False)``."""

    def timer(self, name: str) -> "_NoStats":
        return self

    def start(self) -> "_NoStats":
        return self

    def stop(self, send: bool = True) -> None:
        pass


class LoginHandler(native_handlers.LoginHandler):
    statsd = _NoStats()


class CourseAuthenticator(NativeAuthenticator):
    """NativeAuthenticator whose login page works on JupyterHub 6."""

    def get_handlers(self, app):
        return [(path, LoginHandler if handler is native_handlers.LoginHandler else handler)
                for path, handler in super().get_handlers(app)]
