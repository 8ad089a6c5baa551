"""Models of the incentives element: arrive with its issue (see DESIGN.md)."""
