"""fakeapi's public surface is a decision: lab/ and the notebooks use exactly these names."""

from __future__ import annotations

import pytest

import fakeapi

EXPORTED = ["FakeAPI", "JOURNAL_SIZE", "ROUTES", "Route", "create_app", "current", "start"]
HANDLE = ["clear_journal", "clear_journal_and_notifications", "configure", "journal", "journal_seq", "latency_scale",
          "notifications", "port", "running", "seed", "stats", "stop", "url", "wait_idle"]


def test_exported_names() -> None:
    assert sorted(fakeapi.__all__) == EXPORTED
    for name in EXPORTED:
        assert getattr(fakeapi, name) is not None


def test_the_handle_s_public_names() -> None:
    public = sorted(name for name in dir(fakeapi.FakeAPI) if not name.startswith("_"))
    assert public == sorted(set(HANDLE) - {"port", "url"})  # port and url are set per instance


def test_the_settings_are_read_only_properties() -> None:
    with fakeapi.FakeAPI(seed=3, latency_scale=0.5) as api:
        assert (api.seed, api.latency_scale) == (3, 0.5)
        for name in ("seed", "latency_scale"):
            with pytest.raises(AttributeError):
                setattr(api, name, 1)


def test_current_is_the_running_server_or_none(no_current) -> None:
    api = fakeapi.start()
    try:
        assert fakeapi.current() is api
    finally:
        api.stop()
    assert fakeapi.current() is None
