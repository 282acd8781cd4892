"""The service-return pulse: which services each commune tracks, the weekly question, its answers and the news."""
