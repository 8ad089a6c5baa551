"""Models of the roadmap element: arrive with its issue (see DESIGN.md)."""
