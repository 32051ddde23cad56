"""Participation: learning labs, events and registrations, hub spaces and bookings."""
