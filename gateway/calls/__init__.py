"""Missed calls ("bipage") through the office phone's CallGate app: which call events make a missed call
(`events`), and what a leader's missed call sets in motion (`callback`)."""
