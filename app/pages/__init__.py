"""The dashboard's pages: one Streamlit script each, and the entry script that lists them
(:mod:`pricing_app.pages.dashboard`)."""

#: (script name and URL path, title, icon), in menu order; the first is the home page.
PAGES = [
    ("overview", "Overview", ":material/dashboard:"),
    ("trends", "Price trends", ":material/show_chart:"),
    ("inventory", "Inventory", ":material/inventory_2:"),
    ("forecast", "Forecast vs actual", ":material/timeline:"),
    ("whatif", "Revenue what-if", ":material/tune:"),
    ("drift", "Drift monitor", ":material/monitoring:"),
    ("models", "Models and lineage", ":material/account_tree:"),
    ("decisions", "Decision log", ":material/receipt_long:"),
]
