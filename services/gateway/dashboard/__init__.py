"""The city dashboard: one answer per partner city, gathered from the three services."""
