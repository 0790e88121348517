"""Lifecycle plans: milestones with the materials, staff and deliverables they need, checked against the
archive's own evidence (stock reports, purchase orders, rosters, leave records, documents on file)."""
