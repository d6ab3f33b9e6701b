"""The e-mail sink of the reminder fault tests: each message sent is a row of ``test_mail_sink``,
written on the worker's database connection, so what the sink "received" is counted in SQL."""

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

SINK_DDL = ("CREATE TABLE IF NOT EXISTS test_mail_sink (id bigserial PRIMARY KEY, recipient text NOT NULL, "
            "subject text NOT NULL, at timestamptz NOT NULL DEFAULT now())")


class SinkEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        with connection.cursor() as cursor:
            for message in email_messages:
                for to in message.to:
                    cursor.execute("INSERT INTO test_mail_sink (recipient, subject) VALUES (%s, %s)",
                                   [to, message.subject])
        return len(email_messages)
