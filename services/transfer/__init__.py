"""Transfer: partner cities' transfer plans, milestones, indicators, reports and sync."""
