"""The demo cluster: a cotton–textile cluster in Bukhara region, its people, bodies, meetings, two years of monthly
figures and its portfolio, loaded by `manage.py load_demo`. The top of the layers: it imports every app, and no
app imports it (ARCHITECTURE.md)."""
