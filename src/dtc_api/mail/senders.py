"""Where mail goes: an SMTP server, or files for a developer to open."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from dtc_api.config import ConfigError

log = logging.getLogger("dtc_api.mail")


class PermanentFailure(Exception):
    """The message can never be delivered as it is: the server refused it for good."""


class Sender(Protocol):
    """Delivers one message. Raises PermanentFailure when the message is refused for good,
    anything else when it may go through later (the outbox then retries it)."""

    async def send(self, message: EmailMessage) -> None: ...


def _permanent(error: aiosmtplib.SMTPException) -> bool:
    """A 5xx answer to this message's recipient or content. A 5xx about the connection, the
    login or the sender address says the deployment is misconfigured, which the operator can
    fix: those messages keep being retried, like after any other temporary failure."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= refused.code < 600 for refused in error.recipients)
    return (isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError)
            and 500 <= error.code < 600)


class SmtpSender:
    """``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers it) or
    ``smtps://…`` (TLS from the start)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ConfigError("DTC_SMTP_URL must look like smtp://host:port or smtps://host:port")
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        try:
            # The timeout bounds the whole exchange, not each command: the outbox's lease on
            # the message must outlast it (DTC_MAIL_LEASE > DTC_SMTP_TIMEOUT).
            async with asyncio.timeout(self._timeout):
                await aiosmtplib.send(
                    message, hostname=self._host, port=self._port, username=self._username,
                    password=self._password, use_tls=self._implicit_tls, timeout=self._timeout,
                )
        except aiosmtplib.SMTPException as error:
            if _permanent(error):
                refusals = getattr(error, "recipients", [error])
                raise PermanentFailure("; ".join(f"{r.code} {r.message}" for r in refusals)
                                       ) from error
            raise


class FileSender:
    """Writes each message as an .eml file (for development: open the link from there)."""

    def __init__(self, directory: str) -> None:
        self._directory = Path(directory)

    async def send(self, message: EmailMessage) -> None:
        path = self._directory / f"{int(message['X-Outbox-Id']):08d}.eml"
        await asyncio.to_thread(self._write, path, bytes(message))
        log.info("mail written to %s", path, extra={"to": message["To"]})

    def _write(self, path: Path, content: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
