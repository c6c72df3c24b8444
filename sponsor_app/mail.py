"""Outgoing e-mail (optional): reminders and escalation alerts, when SMTP is configured.

Configured by MAIL_SERVER (unset: no e-mail, the app works with in-app banners only),
MAIL_PORT, MAIL_USERNAME / MAIL_PASSWORD, MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL, MAIL_FROM.
Messages never carry a student's circumstances or the text of a note: they say what is due
and link to the app, where access is checked and logged.
"""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app

log = logging.getLogger(__name__)


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(recipients: list[str], subject: str, body: str) -> None:
    """Send one plain-text message to `recipients` (each gets the same message, addresses in Bcc).

    :raises MailError: SMTP is not configured, unreachable or refused the message.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        raise MailError("MAIL_SERVER is not set")
    recipients = [r for r in recipients if r]
    if not recipients:
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((config.get("MAIL_FROM_NAME") or "", config["MAIL_FROM"]))
    message["To"] = config["MAIL_FROM"]
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    timeout = config.get("MAIL_TIMEOUT", 10)
    try:
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        with smtp:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as err:
        log.warning("mail to %d recipient(s) failed: %s", len(recipients), err)
        raise MailError(str(err)) from err
