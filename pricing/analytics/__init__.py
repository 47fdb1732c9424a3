"""What the dashboard shows, computed: plain functions over the platform's frames.

Each function takes the tables the platform already writes (canonical sales and inventory,
the decision log, registry records, monitor history) and returns a small frame or value ready
to plot, so the Streamlit pages stay thin and every figure is unit-tested without a browser.
"""
