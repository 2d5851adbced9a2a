"""Fixtures shared by the unit tests."""

import pytest


@pytest.fixture
def logged():
    """Every event logged through twisted.logger while the test runs."""
    from twisted.logger import globalLogPublisher
    events = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)
