"""fakeapi: the asyncio lab's local fake HTTP API.

    import fakeapi
    api = fakeapi.start()          # background thread, 127.0.0.1, a free port
    fakeapi.current()               # that server while it runs, else None
    api.url, api.journal(since=None), api.journal_seq(), api.clear_journal(), api.stats(), api.stop()

Or from a shell: `python -m fakeapi --port 8000`.
"""

from .app import ROUTES, create_app
from .journal import JOURNAL_SIZE
from .server import FakeAPI, current, start
from .typedefs import Route

__all__ = ["FakeAPI", "JOURNAL_SIZE", "ROUTES", "Route", "create_app", "current", "start"]
