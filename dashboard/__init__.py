"""The Streamlit dashboard over the warehouse: read-only, Chinese UI, one query module.

Layout, so each concern has one home:

- ``app.py``        entry script: warehouse check, sidebar, ``st.navigation`` router
- ``views/``        one script per page (总览 … 数据下载)
- ``sidebar.py``    the filters, bound to the URL; ``selection.py`` the value they produce
- ``queries.py``    every SQL statement (parameterised, aggregated in DuckDB, polars out)
- ``db.py``         the read-only connection per warehouse version, and the query cache
- ``measures.py``   rates and their definitions, the small-denominator rule
- ``labels.py``     labels (from ``pipelines.catalog``), ``colors.py`` every colour,
  ``fmt.py`` Chinese number formatting, ``charts.py`` the plotly look, ``ui.py`` shared
  page furniture, ``report_tables.py`` one report laid out as the template,
  ``download.py`` a download written to disk, ``server.py`` the app with the route that
  streams it, ``serve.py`` how ``xxgk serve`` starts it, ``safe.py`` outside text as text
"""
