"""Models of the kpi element: arrive with its issue (see DESIGN.md)."""
