"""Models of the portfolio element: arrive with its issue (see DESIGN.md)."""
