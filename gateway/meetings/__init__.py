"""Meetings of the district dialogue frameworks: notices, answers, reminders, tallies, cancellations."""
