"""The e-mail sink of the reminder fault tests: each message a mail server accepts is a row of
``test_mail_sink``, written on the worker's database connection, so what the sink received is
counted in SQL.

Like a mailbox, the sink knows a message by its Message-ID (``notifications.channels.message_id``,
the same at every attempt): a second copy of a message it holds is counted in ``copies`` rather
than stored twice. Only the message in flight when a worker is killed can come twice (delivery is
at least once at the SMTP boundary, docs/operations.md); the tests bound that too.
"""

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

SINK_DDL = ("CREATE TABLE IF NOT EXISTS test_mail_sink (id bigserial PRIMARY KEY, message_id text NOT NULL UNIQUE, "
            "recipient text NOT NULL, subject text NOT NULL, copies integer NOT NULL DEFAULT 1, "
            "at timestamptz NOT NULL DEFAULT now())")


class SinkEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        with connection.cursor() as cursor:
            for message in email_messages:
                for to in message.to:
                    cursor.execute(
                        "INSERT INTO test_mail_sink (message_id, recipient, subject) VALUES (%s, %s, %s) "
                        "ON CONFLICT (message_id) DO UPDATE SET copies = test_mail_sink.copies + 1",
                        [message.extra_headers["Message-ID"], to, message.subject])
        return len(email_messages)
