"""The dashboard's entry script: ``streamlit run`` runs it (``pricing dashboard`` does so).

The Streamlit server is this process's edge: it reads the settings here, once (the pages
get the same cached object), and lists the pages. It sits beside the page scripts, not
above them: Streamlit takes a ``pages/`` folder next to the entry script for its older
automatic navigation and would then run a page's script without this one.
"""

from __future__ import annotations

import streamlit as st

from pricing_app import sources
from pricing_app.pages import PAGES


def main() -> None:
    cfg = sources.settings()
    st.set_page_config(page_title="Pricing dashboard", page_icon=":material/sell:", layout="wide")
    pages = [
        st.Page(f"{name}.py", title=title, icon=icon, url_path=name, default=i == 0)
        for i, (name, title, icon) in enumerate(PAGES)
    ]
    page = st.navigation(pages)
    st.sidebar.caption(f"home: `{cfg.home_dir}`")
    page.run()


if __name__ == "__main__":
    main()
