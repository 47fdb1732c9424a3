"""The pricing dashboard: a multi-page Streamlit app over one ``PRICING_HOME``.

Started by ``pricing dashboard``. Thin by design: the pages read through :mod:`pricing_app.
sources` (cached, keyed on the files' modification times) and plot what
:mod:`pricing.analytics` computes.
"""
