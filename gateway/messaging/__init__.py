"""Messages in and out: the inbox and its spool, the outbox, delivery reports, channel choice, quiet hours,
SMS text, and the limits on floods and loops."""
