"""Escalation of alerts to duty officers: policy (data), who is paged, the ladder's steps, and the officers'
commands (OK, FIN, FAUX). The ladder's state lives in the `escalations` table so it survives restarts."""
