"""Fixtures shared by the notifications tests that send through the local mail server."""

from __future__ import annotations

import pytest

from services.notifications import mailbox
from tests.integration.conftest import free_port


@pytest.fixture
def smtp_port(settings):
    """The local mail server of `crm run` on a free port, writing into the data folder's mailbox."""
    port = free_port()
    server = mailbox.local_mail_server(mailbox.mailbox_folder(settings.data_dir), port=port)
    server.start()
    try:
        yield port
    finally:
        server.stop()
